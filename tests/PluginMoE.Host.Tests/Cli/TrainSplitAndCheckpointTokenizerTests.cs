// The train stage with the three-way split (validation during training, test at the end in test.json) and step
// checkpoints that carry the tokenizer, so `score` works on any step checkpoint on its own.
using System.Text.Json.Nodes;
using PluginMoE.Host.Tests.Support;

namespace PluginMoE.Host.Tests.Cli;

[Collection(CliCollection.Name)]
public sealed class TrainSplitAndCheckpointTokenizerTests : IDisposable
{
    private readonly CliHarness _cli = new();

    public TrainSplitAndCheckpointTokenizerTests() => TinyProfile.Write(_cli);

    public void Dispose() => _cli.Dispose();

    [Fact]
    public void Train_WithBpe_WritesTestResultsAndStepCheckpointsThatScoreOnTheirOwn()
    {
        var (code, output, error) = _cli.Run("run", "--profile", "tiny", "--run-dir", "run1", "--Data:Tokenizer=bpe",
            "--Data:TokenizerOptions:VocabSize=300", "--Model:VocabSize=300", "--Data:TestFraction=0.25", "--Training:KeepCheckpoints=2");
        Assert.True(code == 0, error);
        string train = Path.Combine(_cli.WorkingDirectory, "run1", "train");
        var test = JsonNode.Parse(File.ReadAllText(Path.Combine(train, "test.json")))!;
        Assert.Equal(4, test["step"]!.GetValue<int>());
        Assert.Equal(["code", "prose"], test["domains"]!.AsObject().Select(kv => kv.Key).Order(StringComparer.Ordinal));
        Assert.Contains("train: test perplexity (held-out split, test.json) ", output);

        string step2 = Path.Combine(train, "checkpoints", "step-00000002");
        Assert.True(File.Exists(Path.Combine(step2, "tokenizer.json")), "the step checkpoint has no tokenizer.json");
        string text = _cli.Write("sample.py", "def f3(x):\n    return x * 3 + 1\n");
        var fromStep = _cli.Run("score", "--checkpoint", step2, "--text", text, "--json");
        var fromModel = _cli.Run("score", "--checkpoint", Path.Combine(train, "model"), "--text", text, "--json");
        Assert.True(fromStep.Code == 0, fromStep.Error);
        // The same bpe tokens as the final model's (fewer than the text's bytes), scored by the step-2 weights.
        int tokens = JsonNode.Parse(fromStep.Out)!["tokens"]!.GetValue<int>();
        Assert.Equal(JsonNode.Parse(fromModel.Out)!["tokens"]!.GetValue<int>(), tokens);
        Assert.True(tokens < System.Text.Encoding.UTF8.GetByteCount(File.ReadAllText(text)) - 1, $"{tokens} tokens: the byte tokenizer was used");
    }
}
