// `pluginmoe score` and `pluginmoe generate` on the committed tiny checkpoint fixture.
using System.Text;
using System.Text.Json.Nodes;
using PluginMoE.Core.Checkpoints;
using PluginMoE.Core.Model;
using PluginMoE.Host.Tests.Support;
using static PluginMoE.Tensors.torch;

namespace PluginMoE.Host.Tests.Cli;

[Collection(CliCollection.Name)]
public sealed class InferenceCommandTests : IDisposable
{
    private static readonly string Checkpoint = Path.Combine(AppContext.BaseDirectory, "Fixtures", "tiny-moe");
    private static readonly string Text = Path.Combine(AppContext.BaseDirectory, "Fixtures", "score.txt");
    private readonly CliHarness _cli = new();

    public void Dispose() => _cli.Dispose();

    [Fact]
    public void ScoreJson_PrintsOneLineWithTokensMeanNllAndPerplexity()
    {
        var (code, output, error) = _cli.Run("score", "--checkpoint", Checkpoint, "--text", Text, "--context", "16", "--json");
        Assert.True(code == 0, error);
        string line = Assert.Single(output.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Matches("""^\{"tokens": \d+, "mean_nll": [0-9.Ee+-]+, "perplexity": [0-9.Ee+-]+\}$""", line);
        var json = JsonNode.Parse(line)!;

        // Oracle: windows of 16 bytes scored one by one with a plain forward pass and log-softmax in float64.
        var bytes = Encoding.UTF8.GetBytes(File.ReadAllText(Text));
        var model = TransformerLM.FromCheckpoint(CheckpointStore.Load(Checkpoint), TestPlugins.Instance.Catalog);
        model.eval();
        double nll = 0;
        long count = 0;
        using (no_grad())
        {
            for (int start = 0; start < bytes.Length; start += 16)
            {
                var window = bytes.Skip(start).Take(16).Select(b => (long)b).ToArray();
                if (window.Length < 2) continue;
                var logp = model.forward(tensor(window, [1, window.Length])).Logits.to(float64).log_softmax(-1).data<double>();
                for (int t = 0; t + 1 < window.Length; t++, count++) nll -= logp[t * 256 + (int)window[t + 1]];
            }
        }
        Assert.Equal(count, json["tokens"]!.GetValue<long>());
        Assert.Equal(nll / count, json["mean_nll"]!.GetValue<double>(), 4);
        Assert.Equal(Math.Exp(nll / count), json["perplexity"]!.GetValue<double>(), 3);
    }

    [Fact]
    public void Score_WithoutJson_PrintsAReadableLine()
    {
        var (code, output, _) = _cli.Run("score", "--checkpoint", Checkpoint, "--text", Text);
        Assert.Equal(0, code);
        Assert.Matches(@"^tokens \d+  mean NLL \d+\.\d{4} nats/token  perplexity \d+\.\d{3}", output);
    }

    [Fact]
    public void Score_MissingCheckpointFolder_IsAUsageErrorNamingTheFolder()
    {
        var (code, _, error) = _cli.Run("score", "--checkpoint", "nowhere", "--text", Text);
        Assert.Equal(2, code);
        Assert.Contains($"--checkpoint: folder '{Path.Combine(_cli.WorkingDirectory, "nowhere")}' does not exist", error);
    }

    [Fact]
    public void Score_ContextLongerThanTheModel_IsAUsageError()
    {
        var (code, _, error) = _cli.Run("score", "--checkpoint", Checkpoint, "--text", Text, "--context", "64");
        Assert.Equal(2, code);
        Assert.Contains("the context (window length) must be between 2 and the model's max positions (32), got 64", error);
    }

    [Fact]
    public void Generate_SameSeed_GivesTheSameText_AndAnotherSeedDiffers()
    {
        string[] Args(string seed) => ["generate", "--checkpoint", Checkpoint, "--prompt", "def ", "--max-tokens", "40", "--temperature", "1.0", "--seed", seed];
        var a = _cli.Run(Args("5"));
        var b = _cli.Run(Args("5"));
        var c = _cli.Run(Args("6"));
        Assert.True(a.Code == 0, a.Error);
        Assert.StartsWith("def ", a.Out);
        Assert.Equal(a.Out, b.Out);
        Assert.NotEqual(a.Out, c.Out);
    }

    [Fact]
    public void Generate_TopPOutOfRange_IsAUsageErrorSayingWhatIsAllowed()
    {
        var (code, _, error) = _cli.Run("generate", "--checkpoint", Checkpoint, "--prompt", "x", "--top-p", "1.5");
        Assert.Equal(2, code);
        Assert.Contains("TopP must be in (0, 1]", error);
    }
}
