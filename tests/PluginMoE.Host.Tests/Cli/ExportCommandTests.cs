// `pluginmoe run` saves what it trains in the Hugging Face layout its modules fit (linear-router SwiGLU MoE: Mixtral,
// dense: Llama), and `pluginmoe export` writes the inference form in a requested layout or says why it cannot.
using System.Text.Json.Nodes;
using PluginMoE.Host.Tests.Support;

namespace PluginMoE.Host.Tests.Cli;

[Collection(CliCollection.Name)]
public sealed class ExportCommandTests : IDisposable
{
    private readonly CliHarness _cli = new();

    public ExportCommandTests() => TinyProfile.Write(_cli);

    public void Dispose() => _cli.Dispose();

    private string Train(string name, params string[] overrides)
    {
        var dir = Path.Combine(_cli.WorkingDirectory, name);
        var (code, _, error) = _cli.Run(["run", "--profile", "tiny", "--run-dir", dir, .. overrides]);
        Assert.True(code == 0, error);
        return Path.Combine(dir, "train", "model");
    }

    private static string ModelType(string checkpoint) =>
        (string)JsonNode.Parse(File.ReadAllText(Path.Combine(checkpoint, "config.json")))!["model_type"]!;

    private string Score(string checkpoint)
    {
        var text = _cli.Write("score.txt", "def f1(x):\n    return x * 1 + 1\n");
        var (code, output, error) = _cli.Run("score", "--checkpoint", checkpoint, "--text", text, "--json");
        Assert.True(code == 0, error);
        return output.Trim();
    }

    [Fact]
    public void Run_LinearRouterSwiGluMoe_SavesAsMixtral_AndDenseAsLlama_AndExportAutoKeepsThat()
    {
        var moe = Train("moe", "--Model:Moe:RouterOptions:InitStd=0.05"); // init-only options do not block Mixtral
        Assert.Equal("mixtral", ModelType(moe));
        var dense = Train("dense", "--Model:Moe:Experts=0");
        Assert.Equal("llama", ModelType(dense));

        var (code, output, error) = _cli.Run("export", "--checkpoint", moe, "--out", "exported");
        Assert.True(code == 0, error);
        var exported = Path.Combine(_cli.WorkingDirectory, "exported");
        Assert.Equal($"exported mixtral checkpoint to {exported}, router 'linear'", output.Trim());
        Assert.Equal("mixtral", ModelType(exported));
        Assert.Equal(Score(moe), Score(exported));
    }

    [Fact]
    public void Export_MoeWithASharedExpert_IsDeepSeekMoe_ScoresTheSame_AndLlamaSaysWhyNot()
    {
        var moe = Train("shared", "--Model:Moe:SharedExpertIntermediateSize=24");

        var (code, output, error) = _cli.Run("export", "--checkpoint", moe, "--out", "ds", "--layout", "deepseek-moe");
        Assert.True(code == 0, error);
        Assert.StartsWith("exported deepseek-moe checkpoint to", output.Trim());
        var ds = Path.Combine(_cli.WorkingDirectory, "ds");
        var json = JsonNode.Parse(File.ReadAllText(Path.Combine(ds, "config.json")))!;
        Assert.Equal("deepseek", (string?)json["model_type"]);
        Assert.Equal(1, (int)json["n_shared_experts"]!);
        Assert.Equal(Score(moe), Score(ds));

        var auto = _cli.Run("export", "--checkpoint", moe, "--out", "auto");
        Assert.True(auto.Code == 0, auto.Error);
        Assert.StartsWith("exported deepseek-moe checkpoint", auto.Out.Trim());

        var (llamaCode, _, llamaError) = _cli.Run("export", "--checkpoint", moe, "--out", "llama", "--layout", "llama");
        Assert.Equal(2, llamaCode);
        Assert.Contains("--layout llama: cannot save this model in the Llama layout: it has MoE blocks and the Llama layout is dense", llamaError);
        Assert.False(Directory.Exists(Path.Combine(_cli.WorkingDirectory, "llama")));
    }

    [Fact]
    public void Export_WidthMultiplierExperts_OnlyFitThePluginMoeLayout_AndMixtralSaysWhy()
    {
        var moe = Train("wide", "--Model:ExpertOptions:WidthMultiplier=0.5");
        Assert.Equal("pluginmoe", ModelType(moe));
        var (code, _, error) = _cli.Run("export", "--checkpoint", moe, "--out", "m", "--layout", "mixtral");
        Assert.Equal(2, code);
        Assert.Contains("cannot save this model in the Mixtral layout: layer 0's expert 0 is 12 wide but the config's width is 24", error);
        var bad = _cli.Run("export", "--checkpoint", moe, "--out", "m", "--layout", "gguf");
        Assert.Equal(2, bad.Code);
        Assert.Contains("--layout: 'gguf' is not a layout; use one of auto, llama, mixtral, deepseek-moe, pluginmoe", bad.Error);
    }
}
