// Small things a user notices first: `pluginmoe` alone prints the help, a Debug build warns, `generate` ends its
// line, score and generate accept settings overrides, and `score --text` takes any file's bytes or says what is wrong.
using System.Text.Json.Nodes;
using PluginMoE.Host.Cli;
using PluginMoE.Host.Plugins;
using PluginMoE.Host.Tests.Support;

namespace PluginMoE.Host.Tests.Cli;

[Collection(CliCollection.Name)]
public sealed class CliBasicsTests : IDisposable
{
    private static readonly string Checkpoint = Path.Combine(AppContext.BaseDirectory, "Fixtures", "tiny-moe");
    private readonly CliHarness _cli = new();

    public void Dispose() => _cli.Dispose();

    private static (int Code, string Out, string Error) Run(bool debugBuild, params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var env = new CliEnvironment { Out = output, Error = error, DebugBuild = debugBuild, HandleConsoleSignals = false, LoadPlugins = _ => TestPlugins.Instance.Registry };
        int code = new PluginMoeCli(env).InvokeAsync(args).GetAwaiter().GetResult();
        return (code, output.ToString(), error.ToString());
    }

    [Fact]
    public void NoArguments_PrintsTheHelpWithExamples()
    {
        var (code, output, error) = _cli.Run();
        Assert.Equal(0, code);
        Assert.Equal("", error);
        Assert.Contains("Usage:", output);
        Assert.Contains("Commands:", output);
        Assert.Contains("Examples:\n  pluginmoe run --profile quickstart", output.ReplaceLineEndings("\n"));
    }

    [Fact]
    public void DebugBuild_PrintsOneWarningLine_ReleaseBuildNone()
    {
        var debug = Run(true, "plugins", "list");
        Assert.Equal(0, debug.Code);
        Assert.Equal(BuildInfo.DebugWarning + System.Environment.NewLine, debug.Error);
        Assert.Contains("-c Release", BuildInfo.DebugWarning);
        var release = Run(false, "plugins", "list");
        Assert.Equal("", release.Error);
    }

    [Fact]
    public void BuildInfo_KnowsWhichConfigurationThisIs()
    {
#if DEBUG
        Assert.True(BuildInfo.IsDebug);
#else
        Assert.False(BuildInfo.IsDebug);
#endif
        Assert.False(BuildInfo.IsUnoptimized(typeof(object).Assembly));
    }

    [Fact]
    public void Generate_EndsItsOutputWithANewline()
    {
        var (code, output, error) = _cli.Run("generate", "--checkpoint", Checkpoint, "--prompt", "def ", "--max-tokens", "8", "--seed", "1");
        Assert.True(code == 0, error);
        Assert.StartsWith("def ", output);
        Assert.EndsWith("\n", output);
    }

    [Fact]
    public void ScoreAndGenerate_AcceptPluginDirectoriesLikeRun()
    {
        // The harness loads exactly the configured directories when there are any: the first-party folder works...
        string plugins = PluginLoader.DefaultDirectory;
        var score = _cli.Run("score", "--checkpoint", Checkpoint, "--text", Path.Combine(AppContext.BaseDirectory, "Fixtures", "score.txt"), $"--Plugins:Directories:0={plugins}");
        Assert.True(score.Code == 0, score.Error);
        var generate = _cli.Run("generate", "--checkpoint", Checkpoint, "--prompt", "x", "--max-tokens", "2", $"--Plugins:Directories:0={plugins}");
        Assert.True(generate.Code == 0, generate.Error);
        // ...and a folder without routers is what the model is then built from.
        string empty = _cli.Write("empty/readme.txt", "no plugins here");
        var none = _cli.Run("generate", "--checkpoint", Checkpoint, "--prompt", "x", $"--Plugins:Directories:0={Path.GetDirectoryName(empty)}");
        Assert.Equal(2, none.Code);
        Assert.Contains("unknown router plugin 'linear'", none.Error);
    }

    [Fact]
    public void Score_BinaryFile_ScoresItsBytes_NoReplacementCharacters()
    {
        // Invalid UTF-8 (lone continuation bytes, 0xFF) would become three-byte U+FFFD characters if the file were decoded as text.
        var bytes = Enumerable.Range(0, 1000).Select(i => (byte)(i * 37 % 256)).ToArray();
        string file = _cli.Write("blob.bin", "");
        File.WriteAllBytes(file, bytes);
        var (code, output, error) = _cli.Run("score", "--checkpoint", Checkpoint, "--text", file, "--context", "16", "--json");
        Assert.True(code == 0, error);
        // 62 windows of 16 bytes predict 15 each, the last 8 bytes predict 7.
        Assert.Equal(62 * 15 + 7, JsonNode.Parse(output)!["tokens"]!.GetValue<long>());
        Assert.Equal(bytes.Select(b => (int)b), ScoreCommand.ReadTokens(file));
    }

    [Fact]
    public void Score_TextNamingAFolder_SaysItIsAFolder()
    {
        string folder = Path.GetDirectoryName(_cli.Write("texts/a.txt", "hello"))!;
        var (code, _, error) = _cli.Run("score", "--checkpoint", Checkpoint, "--text", folder);
        Assert.Equal(2, code);
        Assert.Equal($"pluginmoe: error: --text: '{folder}' is a folder; pass a file to score (for example one of the files in it){System.Environment.NewLine}", error);
    }

    [Theory]
    [InlineData("num_attention_heads", 0, "key 'num_attention_heads' is 0; allowed values are 1 to 16 (at most hidden_size, which it must divide)")]
    [InlineData("hidden_size", -16, "key 'hidden_size' is -16; allowed values are 1 to 4194304")]
    public void Checkpoint_InvalidConfigValue_IsAUsageErrorNamingTheKeyAndRange(string key, int value, string expected)
    {
        var config = CopyCheckpoint();
        var json = JsonNode.Parse(File.ReadAllText(config))!.AsObject();
        json[key] = value;
        File.WriteAllText(config, json.ToJsonString());
        var (code, _, error) = _cli.Run("generate", "--checkpoint", Path.GetDirectoryName(config)!, "--prompt", "x");
        Assert.Equal(2, code);
        Assert.Contains(expected, error);
    }

    [Fact]
    public void Checkpoint_TopKZero_IsAUsageErrorNamingTheSectionKey()
    {
        var config = CopyCheckpoint();
        var json = JsonNode.Parse(File.ReadAllText(config))!.AsObject();
        json["pluginmoe"]!["moe"]!["top_k"] = 0;
        File.WriteAllText(config, json.ToJsonString());
        var (code, _, error) = _cli.Run("score", "--checkpoint", Path.GetDirectoryName(config)!, "--text", config);
        Assert.Equal(2, code);
        Assert.Contains("key 'pluginmoe.moe.top_k' is 0; allowed values are 1 to 2 (at most pluginmoe.moe.num_experts)", error);
    }

    private string CopyCheckpoint()
    {
        string dir = Path.GetDirectoryName(_cli.Write("ckpt/placeholder", ""))!;
        foreach (var f in Directory.GetFiles(Checkpoint)) File.Copy(f, Path.Combine(dir, Path.GetFileName(f)));
        return Path.Combine(dir, "config.json");
    }
}
