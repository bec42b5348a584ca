// The gaps the bad-input audit (docs/bad-input.md) found and fixed, one test each: a checkpoint's tokenizer.json of the
// wrong kind or of another model, a config.json that does not describe its tensors, `config` checking plugin names, a
// plugin whose options setter, validation or Create throws, a list/map option given the wrong type, and an append to
// a run folder's JSON-lines file after a torn last line.
using System.Text.Json.Nodes;
using PluginMoE.Core.Checkpoints;
using PluginMoE.Core.Recipe.Runs;
using PluginMoE.Core.Text;
using PluginMoE.Host.Plugins;
using PluginMoE.Host.Tests.Plugins;
using PluginMoE.Host.Tests.Support;

namespace PluginMoE.Host.Tests.Cli;

[Collection(CliCollection.Name)]
public sealed class BadInputAuditTests : IDisposable
{
    private static readonly string Fixture = Path.Combine(AppContext.BaseDirectory, "Fixtures", "tiny-moe");
    private static readonly string Text = Path.Combine(AppContext.BaseDirectory, "Fixtures", "score.txt");
    private readonly CliHarness _cli = new();

    public void Dispose() => _cli.Dispose();

    // A copy of the tiny checkpoint in the working folder, without the checksum a foreign tool would not write.
    private string CopyCheckpoint(string name)
    {
        string dir = Path.Combine(_cli.WorkingDirectory, name);
        Directory.CreateDirectory(dir);
        foreach (var file in Directory.GetFiles(Fixture)) File.Copy(file, Path.Combine(dir, Path.GetFileName(file)));
        var config = JsonNode.Parse(File.ReadAllText(Path.Combine(dir, CheckpointStore.ConfigFile)))!;
        config["pluginmoe"]!.AsObject().Remove("sha256");
        File.WriteAllText(Path.Combine(dir, CheckpointStore.ConfigFile), config.ToJsonString());
        return dir;
    }

    [Fact]
    public void Score_TokenizerJsonOfAnotherKind_IsAUsageErrorNamingTheFileAndWhatWorks()
    {
        string dir = CopyCheckpoint("wordpiece");
        File.WriteAllText(Path.Combine(dir, "tokenizer.json"), """{"version": "1.0", "model": {"type": "WordPiece", "vocab": {"[UNK]": 0}, "unk_token": "[UNK]"}}""");
        var (code, output, error) = _cli.Run("score", "--checkpoint", dir, "--text", Text);
        Assert.Equal(2, code);
        Assert.Equal("", output);
        Assert.Contains($"pluginmoe: error: --checkpoint: cannot use the tokenizer of '{dir}': {Path.Combine(dir, "tokenizer.json")}: model.type is 'WordPiece'", error);
        Assert.Contains("must be the Hugging Face byte-level BPE tokenizer the model was trained with", error);
        Assert.DoesNotContain("   at ", error);
    }

    [Fact]
    public void Generate_TokenizerWithMoreIdsThanTheModel_IsRefusedBeforeAnyOutput()
    {
        string dir = CopyCheckpoint("bigtok");
        var bpe = BpeTrainer.Train(Enumerable.Repeat("the quick brown fox jumps over the lazy dog; pack my box with five dozen jugs", 20), vocabSize: 300, minFrequency: 1);
        Assert.True(bpe.VocabSize > 256);
        CheckpointTokenizer.Save(dir, bpe);
        var (code, output, error) = _cli.Run("generate", "--checkpoint", dir, "--prompt", "the", "--max-tokens", "2");
        Assert.Equal(2, code);
        Assert.Equal("", output);
        Assert.Contains($"--checkpoint: '{Path.Combine(dir, "tokenizer.json")}' has {bpe.VocabSize} token ids, but the model ('{Path.Combine(dir, "config.json")}' vocab_size) has 256", error);
    }

    [Fact]
    public void Score_ConfigJsonThatDoesNotDescribeItsTensors_IsAUsageErrorNamingTheConfig()
    {
        string dir = CopyCheckpoint("nomoe");
        var config = JsonNode.Parse(File.ReadAllText(Path.Combine(dir, "config.json")))!;
        config["pluginmoe"]!["moe"] = null; // an MoE checkpoint's config edited into a dense one
        File.WriteAllText(Path.Combine(dir, "config.json"), config.ToJsonString());
        var (code, _, error) = _cli.Run("score", "--checkpoint", dir, "--text", Text);
        Assert.Equal(2, code);
        Assert.Contains($"--checkpoint: '{Path.Combine(dir, "config.json")}' and the tensors beside it do not describe the same model:", error);
        Assert.Contains("missing tensors (3): model.layers.0.mlp.gate_proj.weight", error);
        Assert.Contains("use the config.json that was saved with these tensors", error);
    }

    [Fact]
    public void Config_UnknownPluginNames_AreWarnedAbout()
    {
        TinyProfile.Write(_cli);
        var (code, output, error) = _cli.Run("config", "--profile", "tiny", "--Model:Moe:Router=lineer", "--Data:Loader=jsonll", "--Model:Expert=swigl");
        Assert.Equal(0, code);
        Assert.NotEqual("", output);
        Assert.Contains("pluginmoe: warning: run would refuse this: Model:Moe:Router: unknown router plugin 'lineer'", error);
        Assert.Contains("pluginmoe: warning: run would refuse this: Data:Loader: unknown dataset loader plugin 'jsonll'", error);
        Assert.Contains("pluginmoe: warning: run would refuse this: Model:Expert: unknown expert plugin 'swigl'", error);
    }

    [Fact]
    public void Run_ListOptionGivenAString_NamesTheExpectedShapeNotTheClrType()
    {
        TinyProfile.Write(_cli);
        var (code, _, error) = _cli.Run("run", "--profile", "tiny", "--Data:LoaderOptions:Domains=prose");
        Assert.Equal(2, code);
        Assert.Contains("Data:LoaderOptions:Domains: value \"prose\" is not a valid JSON object mapping names to arrays of strings (dataset loader plugin 'text-folder')", error);
        Assert.DoesNotContain("`2", error);
    }

    private (int Code, string Out, string Error) RunWithFragileRouter(params string[] options)
    {
        TinyProfile.Write(_cli);
        using var dir = new PluginDirectory();
        dir.AddFolder("TestPlugins", PluginDirectory.TestPlugins);
        return _cli.RunWith(env => env with { LoadPlugins = dirs => PluginLoader.Load([PluginLoader.DefaultDirectory, .. dirs.Skip(1)]) }, CancellationToken.None,
            ["run", "--profile", "tiny", "--run-dir", "run1", $"--Plugins:Directories:0={dir.Path}", "--Model:Moe:Router=fragile", .. options]);
    }

    [Fact]
    public void Run_PluginOptionsThatThrow_AreConfigurationErrorsNamingThePluginAndKey_AndWriteNothing()
    {
        var (code, _, error) = RunWithFragileRouter("--Model:Moe:RouterOptions:Scale=-1");
        Assert.Equal(2, code);
        Assert.Contains("Model:Moe:RouterOptions:Scale: value \"-1\" is refused by router plugin 'fragile': Scale must be positive", error);

        (code, _, error) = RunWithFragileRouter("--Model:Moe:RouterOptions:CrashInValidate=true");
        Assert.Equal(2, code);
        Assert.Contains("Model:Moe:RouterOptions: the options validation of router plugin 'fragile' failed with NullReferenceException: the fragile options' validation crashed; this is a fault of the plugin", error);
        Assert.DoesNotContain("   at ", error);
        Assert.False(Directory.Exists(Path.Combine(_cli.WorkingDirectory, "run1")));
    }

    [Fact]
    public void Run_PluginWhoseCreateThrows_IsAConfigurationErrorNamingThePluginAndItsOptionsKey()
    {
        var (code, _, error) = RunWithFragileRouter("--Model:Moe:RouterOptions:Scale=2");
        Assert.Equal(2, code);
        Assert.Contains("Model:Moe:Router: router plugin 'fragile' failed to build its router with the options of Model:Moe:RouterOptions: " +
            "InvalidOperationException: the fragile router cannot be built with Scale 2", error);
        Assert.False(Directory.Exists(Path.Combine(_cli.WorkingDirectory, "run1")));
        Assert.DoesNotContain("   at ", error);
    }

    [Fact]
    public void Append_AfterATornLastLine_StartsANewLine()
    {
        string run = Path.Combine(_cli.WorkingDirectory, "torn");
        Directory.CreateDirectory(run);
        string log = Path.Combine(run, "log.jsonl");
        File.WriteAllText(log, "{\"step\": 1}\n{\"step\": 2, \"lo");
        using (var writer = new JsonlWriter(log)) writer.Write([new JsonObject { ["step"] = 3 }]);
        Assert.Equal(["{\"step\": 1}", "{\"step\": 2, \"lo", "{\"step\":3}"], File.ReadAllLines(log));

        using (var writer = new JsonlWriter(log)) writer.Write([new JsonObject { ["step"] = 4 }]); // an intact file gets no blank line
        Assert.Equal("{\"step\":4}", File.ReadAllLines(log)[^1]);
        Assert.Equal(4, File.ReadAllLines(log).Length);
    }

    // Behaviours the audit found right but no test held: each corruption of a checkpoint folder is a usage error naming the file.
    [Theory]
    [InlineData("config-missing", "has no config.json; a checkpoint folder holds config.json and model.safetensors")]
    [InlineData("config-truncated", "config.json' is not valid JSON:")]
    [InlineData("config-array", "config.json' must hold a JSON object")]
    [InlineData("other-shape", "model.safetensors' does not match its PluginMoE config.json: shape mismatches (9): lm_head.weight has shape (256, 16), the config implies (256, 32)")]
    [InlineData("safetensors-truncated", "model.safetensors', tensor 'model.embed_tokens.weight': \"data_offsets\" [16384, 32768] ends past the end of the data buffer")]
    public void Score_CorruptCheckpointFolder_IsAUsageErrorNamingTheFile_AndChangesNothing(string corruption, string expected)
    {
        string dir = CopyCheckpoint(corruption);
        string config = Path.Combine(dir, "config.json"), weights = Path.Combine(dir, "model.safetensors");
        switch (corruption)
        {
            case "config-missing": File.Delete(config); break;
            case "config-truncated": File.WriteAllText(config, File.ReadAllText(config)[..200]); break;
            case "config-array": File.WriteAllText(config, "[]"); break;
            case "other-shape":
                var node = JsonNode.Parse(File.ReadAllText(config))!;
                node["hidden_size"] = 32;
                node["head_dim"] = 16;
                File.WriteAllText(config, node.ToJsonString());
                break;
            default: File.WriteAllBytes(weights, File.ReadAllBytes(weights)[..20000]); break;
        }
        var before = Directory.GetFiles(dir).ToDictionary(f => f, File.ReadAllBytes);
        var (code, output, error) = _cli.Run("score", "--checkpoint", dir, "--text", Text);
        Assert.Equal(2, code);
        Assert.Equal("", output);
        Assert.StartsWith("pluginmoe: error: --checkpoint: ", error, StringComparison.Ordinal);
        Assert.Contains(dir, error);
        Assert.Contains(expected, error);
        Assert.DoesNotContain("   at ", error);
        Assert.Equal(before.Keys.Order(), Directory.GetFiles(dir).Order());
        Assert.All(before, kv => Assert.Equal(kv.Value, File.ReadAllBytes(kv.Key)));
    }

    // A run folder whose state files were cut short (a full disk, a copy that stopped): refused naming the file and the way out, nothing deleted.
    [Fact]
    public void Run_TruncatedStageSettingsOrTrainerState_IsRefusedNamingTheFile_AndDeletesNothing()
    {
        TinyProfile.Write(_cli);
        Assert.Equal(0, _cli.Run("run", "--profile", "tiny", "--run-dir", "run1", "--Training:KeepCheckpoints=2").Code);
        string run = Path.Combine(_cli.WorkingDirectory, "run1");
        string settings = Path.Combine(run, "train", "settings.json");
        byte[] good = File.ReadAllBytes(settings);
        File.WriteAllBytes(settings, good[..(good.Length / 2)]);
        var files = Directory.GetFiles(run, "*", SearchOption.AllDirectories).Where(f => !f.EndsWith(".jsonl", StringComparison.Ordinal) && !f.Contains(".lock", StringComparison.Ordinal)).ToList();
        var (code, _, error) = _cli.Run("run", "--profile", "tiny", "--run-dir", "run1", "--Training:KeepCheckpoints=2");
        Assert.Equal(2, code);
        Assert.Contains($"stage 'train': '{settings}' is not a stage settings record", error);
        Assert.Contains("or start the stage afresh with --restart", error);
        Assert.All(files, f => Assert.True(File.Exists(f), f));

        // Interrupted after step 4 with that checkpoint's trainer state cut short: resume names it and the earlier checkpoint.
        File.WriteAllBytes(settings, good);
        File.Delete(Path.Combine(run, "train", "completed.json"));
        string state = Path.Combine(run, "train", "checkpoints", "step-00000004", "trainer_state.json");
        File.WriteAllText(state, File.ReadAllText(state)[..100]);
        (code, _, error) = _cli.Run("run", "--profile", "tiny", "--run-dir", "run1", "--Training:KeepCheckpoints=2");
        Assert.Equal(2, code);
        Assert.Contains($"'{state}' is not a valid trainer state", error);
        Assert.Contains("Resume from an earlier checkpoint with --resume-from step-00000002", error);
        Assert.True(File.Exists(state));
        Assert.True(Directory.Exists(Path.Combine(run, "train", "checkpoints", "step-00000002")));
    }
}
