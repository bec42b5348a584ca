// `pluginmoe serve` with a checkpoint that carries a BPE tokenizer.json (trained here on a few lines, with a Hugging
// Face normalizer and a BOS post-processor added to the file): prompts are encoded and outputs decoded with it, as
// `score` and `generate` do, and /v1/model, /healthz and /v1/route say which tokenizer is served.
using System.Net;
using System.Text.Json.Nodes;
using PluginMoE.Abstractions.Checkpoints;
using PluginMoE.Core.Checkpoints;
using PluginMoE.Core.Inference;
using PluginMoE.Core.Text;
using PluginMoE.Host.Cli;
using PluginMoE.Host.Serve;
using PluginMoE.Tensors;
using static PluginMoE.Tensors.torch;

namespace PluginMoE.Serve.Tests;

/// <summary>The fixture model with its vocabulary grown to a trained BPE tokenizer's (new rows random), saved with the tokenizer.json.</summary>
public sealed class BpeCheckpointFixture : IDisposable
{
    public BpeCheckpointFixture()
    {
        Directory = System.IO.Directory.CreateTempSubdirectory("pluginmoe-serve-bpe-").FullName;
        var tokenizer = BpeTrainer.Train(Enumerable.Range(0, 40).Select(i => $"def main():\n    print('hello {i}')\nPermission is hereby granted, free of charge.\n"), 300);
        int bos = tokenizer.VocabSize;                       // one more id: the BOS token the post-processor adds
        var fixture = CheckpointStore.Load(TestCheckpoint.Directory);
        var generator = new Generator(7);
        var tensors = new Dictionary<string, Tensor>(fixture.Tensors);
        foreach (var name in new[] { "model.embed_tokens.weight", "lm_head.weight" })
        {
            var old = fixture.Tensors[name];
            var extra = randn([bos + 1 - old.size(0), old.size(1)], generator: generator) * 0.02;
            tensors[name] = cat([old, extra], 0);
        }
        CheckpointStore.Save(Directory, new ModelCheckpoint(fixture.Config with { VocabSize = bos + 1 }, tensors));
        CheckpointTokenizer.Save(Directory, tokenizer);

        // A normalizer and a post-processor as Hugging Face files have them (Core reads both).
        string file = Path.Combine(Directory, HfTokenizerJson.FileName);
        var json = JsonNode.Parse(File.ReadAllText(file))!.AsObject();
        json["normalizer"] = new JsonObject { ["type"] = "Lowercase" };
        json["added_tokens"]!.AsArray().Add(new JsonObject { ["id"] = bos, ["content"] = "<bos>", ["special"] = true });
        json["post_processor"] = new JsonObject
        {
            ["type"] = "TemplateProcessing",
            ["single"] = new JsonArray(new JsonObject { ["SpecialToken"] = new JsonObject { ["id"] = "<bos>", ["type_id"] = 0 } },
                new JsonObject { ["Sequence"] = new JsonObject { ["id"] = "A", ["type_id"] = 0 } }),
            ["special_tokens"] = new JsonObject { ["<bos>"] = new JsonObject { ["id"] = "<bos>", ["ids"] = new JsonArray(bos), ["tokens"] = new JsonArray("<bos>") } },
        };
        File.WriteAllText(file, json.ToJsonString());
        Tokenizer = HfTokenizerJson.Load(file);
        Bos = bos;
    }

    public string Directory { get; }

    public BpeTokenizer Tokenizer { get; }

    public int Bos { get; }

    public void Dispose() => System.IO.Directory.Delete(Directory, recursive: true);
}

public sealed class TokenizerTests(BpeCheckpointFixture checkpoint) : IClassFixture<BpeCheckpointFixture>
{
    private const string Text = "def main():\n    print('Hello')\nPermission is hereby granted.";

    private async Task<RunningServer> Start() =>
        await RunningServer.StartAsync(model: new ServedModel(CheckpointInput.Load(TestCheckpoint.Environment(), checkpoint.Directory), checkpoint.Directory));

    [Fact]
    public async Task Model_Healthz_AndRoute_NameTheCheckpointsTokenizer()
    {
        await using var server = await Start();
        var model = JsonNode.Parse(await server.Client.GetStringAsync("/v1/model"))!;
        var tokenizer = model["tokenizer"]!;
        Assert.Equal("bpe", (string?)tokenizer["type"]);
        Assert.Equal(checkpoint.Bos + 1, (int)tokenizer["vocab_size"]!);
        Assert.Equal(Path.Combine(checkpoint.Directory, "tokenizer.json"), (string?)tokenizer["file"]);
        Assert.Equal("Lowercase", (string?)tokenizer["normalizer"]!["type"]);
        Assert.Equal("TemplateProcessing", (string?)tokenizer["post_processor"]!["type"]);
        Assert.Equal("bpe", (string?)JsonNode.Parse(await server.Client.GetStringAsync("/healthz"))!["tokenizer"]);

        // The fixture's own checkpoint has no tokenizer.json: bytes.
        await using var bytes = await RunningServer.StartAsync();
        Assert.Equal("byte", (string?)JsonNode.Parse(await bytes.Client.GetStringAsync("/v1/model"))!["tokenizer"]!["type"]);
    }

    [Fact]
    public async Task Route_TokensAreTheBpeTokensOfThePrompt_WithTheBos_AndDecodeToTheNormalizedText()
    {
        await using var server = await Start();
        var (status, body, raw) = await ApiTests.PostAsync(server.Client, "/v1/route", new JsonObject { ["text"] = Text }.ToJsonString());
        Assert.True(status == HttpStatusCode.OK, raw);
        var tokens = body!["tokens"]!.AsArray();
        int[] expected = [checkpoint.Bos, .. checkpoint.Tokenizer.Encode(Text)];
        Assert.Equal(expected, tokens.Select(t => (int)t!["id"]!));
        Assert.True(tokens.Count < System.Text.Encoding.UTF8.GetByteCount(Text) / 2, $"{tokens.Count} tokens: bytes were used");
        Assert.Equal("<bos>" + Text.ToLowerInvariant(), string.Concat(tokens.Select(t => (string?)t!["text"])));
        Assert.Equal("bpe", (string?)body["tokenizer"]);
    }

    [Fact]
    public async Task Score_EqualsScoringTheTokenizersIdsWithItsSpecialTokens()
    {
        await using var server = await Start();
        var (status, body, raw) = await ApiTests.PostAsync(server.Client, "/v1/score", new JsonObject { ["text"] = Text }.ToJsonString());
        Assert.True(status == HttpStatusCode.OK, raw);
        var ids = checkpoint.Tokenizer.EncodeWithSpecialTokens(Text);
        Assert.Equal(checkpoint.Bos, ids[0]);
        var expected = Scorer.Score(server.Model.Model, ids);
        Assert.Equal(expected.Tokens, (long)body!["tokens"]!);
        Assert.Equal(expected.MeanNll, (double)body["mean_nll"]!, 10);
    }

    [Fact]
    public async Task Completions_AreTheGeneratorsTextUnderTheBpeTokenizer_StreamedOrNot()
    {
        await using var server = await Start();
        const string prompt = "def main():\n    print(";
        var options = new GenerationOptions { MaxTokens = 12, Temperature = 0.9, TopP = 1, Seed = 5 };
        string expected = TextGenerator.Generate(server.Model.Model, checkpoint.Tokenizer, prompt, options);
        string request = new JsonObject { ["prompt"] = prompt, ["max_tokens"] = 12, ["temperature"] = 0.9, ["seed"] = 5 }.ToJsonString();
        var (status, body, raw) = await ApiTests.PostAsync(server.Client, "/v1/completions", request);
        Assert.True(status == HttpStatusCode.OK, raw);
        Assert.Equal(expected, (string?)body!["choices"]![0]!["text"]);
        Assert.Equal(1 + checkpoint.Tokenizer.Encode(prompt).Length, (int)body["usage"]!["prompt_tokens"]!);
        Assert.Equal(12, (int)body["usage"]!["completion_tokens"]!);

        var streamed = JsonNode.Parse(request)!.AsObject();
        streamed["stream"] = true;
        var (_, _, events) = await ApiTests.PostAsync(server.Client, "/v1/completions", streamed.ToJsonString());
        var chunks = events.Split("\n\n", StringSplitOptions.RemoveEmptyEntries).Select(e => e["data: ".Length..]).Where(d => d != "[DONE]")
            .Select(d => (string?)JsonNode.Parse(d)!["choices"]![0]!["text"]);
        Assert.Equal(expected, string.Concat(chunks));
    }

    [Fact]
    public async Task Serve_TokenizerWithMoreIdsThanTheModel_IsRefusedNamingTheFile()
    {
        string dir = System.IO.Directory.CreateTempSubdirectory("pluginmoe-serve-mismatch-").FullName;
        try
        {
            foreach (var f in System.IO.Directory.GetFiles(TestCheckpoint.Directory)) File.Copy(f, Path.Combine(dir, Path.GetFileName(f)));
            File.Copy(Path.Combine(checkpoint.Directory, "tokenizer.json"), Path.Combine(dir, "tokenizer.json"));
            var output = new StringWriter();
            int code = await new PluginMoeCli(TestCheckpoint.Environment(output)).InvokeAsync(["serve", "--checkpoint", dir, "--urls", "http://127.0.0.1:0", "--check"]);
            Assert.Equal(ExitCodes.UsageError, code);
            Assert.Contains($"--checkpoint: cannot serve '{dir}': the tokenizer ({Path.Combine(dir, "tokenizer.json")}) has {checkpoint.Bos + 1} ids but the model's vocab_size is 256", output.ToString());
        }
        finally { System.IO.Directory.Delete(dir, recursive: true); }
    }
}
