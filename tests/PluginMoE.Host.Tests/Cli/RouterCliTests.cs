// Every router plugin end to end through the CLI: a tiny profile trains a few steps with it, and the trained model
// scores a text and generates.
using System.Text.Json.Nodes;
using PluginMoE.Host.Tests.Support;

namespace PluginMoE.Host.Tests.Cli;

[Collection(CliCollection.Name)]
public sealed class RouterCliTests : IDisposable
{
    private readonly CliHarness _cli = new();

    public RouterCliTests() => TinyProfile.Write(_cli);

    public void Dispose() => _cli.Dispose();

    [Theory]
    [InlineData("linear", 1, """{"Variant": "switch"}""")]
    [InlineData("linear", 2, """{"Variant": "soft"}""")]
    [InlineData("linear", 1, """{"Variant": "sample-top1", "JitterNoise": 0.1}""")]
    [InlineData("nexus", 1, """{"DomainEmbeddings": [[1, 0, 0.5], [0, 1, -0.5]]}""")]
    [InlineData("xmoe", 1, """{"RoutingDim": 4}""")]
    [InlineData("multi-head", 2, """{"Heads": 2}""")]
    [InlineData("multi-head", 1, """{"Heads": 4, "Inner": "nexus", "InnerOptions": {"DomainEmbeddings": [[1, 0], [0, 1]]}}""")]
    public void Router_TrainsFromAProfile_AndItsModelScoresAndGenerates(string router, int topK, string options)
    {
        var profile = JsonNode.Parse(File.ReadAllText(Path.Combine(_cli.WorkingDirectory, "profiles", "tiny.json")))!;
        var moe = profile["Model"]!["Moe"]!;
        moe["Router"] = router;
        moe["TopK"] = topK;
        moe["RouterOptions"] = JsonNode.Parse(options);
        if (router == "nexus") moe["SharedExpertIntermediateSize"] = 8; // Nexus's always-on shared expert
        _cli.Write("profiles/router.json", profile.ToJsonString());

        var (code, _, error) = _cli.Run("run", "--profile", "router", "--run-dir", "run1");
        Assert.True(code == 0, $"{router} {options}: {error}");
        var model = Path.Combine(_cli.WorkingDirectory, "run1", "train", "model");
        var text = _cli.Write("score.txt", "def f(x):\n    return x * 2 + 1\n\nthe quick brown fox jumps over the lazy dog.\n");

        var score = _cli.Run("score", "--checkpoint", model, "--text", text, "--context", "16", "--json");
        Assert.True(score.Code == 0, score.Error);
        var perplexity = JsonNode.Parse(score.Out)!["perplexity"]!.GetValue<double>();
        Assert.InRange(perplexity, 1, 256);

        var generated = _cli.Run("generate", "--checkpoint", model, "--prompt", "def ", "--max-tokens", "8", "--seed", "1");
        Assert.True(generated.Code == 0, generated.Error);
        Assert.StartsWith("def ", generated.Out);
    }

    [Fact]
    public void NullExpertsBesideFfnExperts_TrainFromAProfile_SaveInThePluginMoeLayout_AndTheModelScores()
    {
        var profile = JsonNode.Parse(File.ReadAllText(Path.Combine(_cli.WorkingDirectory, "profiles", "tiny.json")))!;
        var moe = profile["Model"]!["Moe"]!.AsObject();
        moe.Remove("Experts"); // taken from the groups: 2 + 2
        moe["TopK"] = 2;
        moe["ExpertGroups"] = JsonNode.Parse("""[ { "Expert": "swiglu", "Count": 2 }, { "Expert": "null", "Count": 2 } ]""");
        _cli.Write("profiles/groups.json", profile.ToJsonString());

        var (code, _, error) = _cli.Run("run", "--profile", "groups", "--run-dir", "run1");
        Assert.True(code == 0, error);
        var model = Path.Combine(_cli.WorkingDirectory, "run1", "train", "model");
        var config = JsonNode.Parse(File.ReadAllText(Path.Combine(model, "config.json")))!;
        Assert.Equal("pluginmoe", config["model_type"]!.GetValue<string>());
        Assert.Equal(4, config["pluginmoe"]!["moe"]!["num_experts"]!.GetValue<int>());
        Assert.Equal("""[{"expert":"swiglu","count":2},{"expert":"null","count":2}]""", config["pluginmoe"]!["moe"]!["expert_groups"]!.ToJsonString());

        var text = _cli.Write("score.txt", "def f(x):\n    return x * 2 + 1\n");
        var score = _cli.Run("score", "--checkpoint", model, "--text", text, "--context", "16", "--json");
        Assert.True(score.Code == 0, score.Error);
        Assert.InRange(JsonNode.Parse(score.Out)!["perplexity"]!.GetValue<double>(), 1, 256);

        var export = _cli.Run("export", "--checkpoint", model, "--out", "mixtral", "--layout", "mixtral");
        Assert.Equal(2, export.Code);
        Assert.Contains("its MoE blocks mix expert kinds (2 'swiglu' + 2 'null'), and Hugging Face layouts have one kind of expert", export.Error);
    }

    [Fact]
    public void ExpertGroups_ThatDoNotAddUpOrNameNoPlugin_AreConfigurationErrors()
    {
        var (code, _, error) = _cli.Run("run", "--profile", "tiny", "--run-dir", "bad", "--Model:Moe:Experts=3",
            "--Model:Moe:ExpertGroups:0:Expert=swiglu", "--Model:Moe:ExpertGroups:0:Count=2", "--Model:Moe:ExpertGroups:1:Expert=nul", "--Model:Moe:ExpertGroups:1:Count=2");
        Assert.Equal(2, code);
        Assert.Contains("Model:Moe:Experts: value 3 is not allowed: Moe:ExpertGroups hold 2 'swiglu' + 2 'nul' = 4 experts; set Moe:Experts to 4 or leave it out (0 takes the groups' sum)", error);
        Assert.Contains("Model:Moe:ExpertGroups:1:Expert: ", error);
        Assert.Contains("'null'", error);
    }
}
