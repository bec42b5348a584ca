// `pluginmoe run` end to end on a tiny profile: the run folder's files, telemetry, resume as a no-op and as a
// bitwise continuation, and the exit codes and messages of configuration errors.
using System.Text.Json.Nodes;
using PluginMoE.Host.Tests.Support;

namespace PluginMoE.Host.Tests.Cli;

[Collection(CliCollection.Name)]
public sealed class RunCommandTests : IDisposable
{
    private readonly CliHarness _cli = new();

    public RunCommandTests() => TinyProfile.Write(_cli);

    public void Dispose() => _cli.Dispose();

    private string RunDir => Path.Combine(_cli.WorkingDirectory, "run1");

    [Fact]
    public void Run_TinyProfile_WritesTheRunFolder()
    {
        var (code, output, error) = _cli.Run("run", "--profile", "tiny", "--run-dir", "run1");
        Assert.True(code == 0, error);
        Assert.Contains($"run folder: {RunDir}", output);

        var config = JsonNode.Parse(File.ReadAllText(Path.Combine(RunDir, "config.resolved.json")))!;
        Assert.Equal("tiny", config["Profile"]!["Name"]!.GetValue<string>());
        Assert.Equal(16, config["Model"]!["HiddenSize"]!.GetValue<int>());
        // Plugin options appear as their plugin bound them, defaults included.
        Assert.NotNull(config["Model"]!["Moe"]!["RouterOptions"]!["JitterNoise"]);
        Assert.NotNull(config["Data"]!["LoaderOptions"]!["Domains"]!["prose"]);

        var eval = JsonNode.Parse(File.ReadAllText(Path.Combine(RunDir, "train", "eval.json")))!;
        foreach (var domain in new[] { "code", "prose" })
        {
            var d = eval["domains"]![domain]!;
            Assert.True(d["perplexity"]!.GetValue<double>() is > 1 and < 256);
            var routing = d["routing"]!["layer0"]!.AsArray().Select(x => x!.GetValue<double>()).ToArray();
            Assert.Equal(2, routing.Length);
            Assert.Equal(1.0, routing.Sum(), 6);
        }
        Assert.Contains("| code |", File.ReadAllText(Path.Combine(RunDir, "train", "summary.md")));
        Assert.True(File.Exists(Path.Combine(RunDir, "train", "model", "model.safetensors")));
        Assert.True(File.Exists(Path.Combine(RunDir, "train", "completed.json")));
        var steps = File.ReadAllLines(Path.Combine(RunDir, "train", "log.jsonl")).Select(l => JsonNode.Parse(l)!).ToList();
        Assert.Equal([1, 2, 3, 4], steps.Where(s => s["type"]!.GetValue<string>() == "step").Select(s => s["step"]!.GetValue<int>()));
        Assert.Equal(2, steps.Count(s => s["type"]!.GetValue<string>() == "eval"));
    }

    [Fact]
    public void Run_TinyProfile_ExportsSpansAndMetrics()
    {
        Assert.Equal(0, _cli.Run("run", "--profile", "tiny", "--run-dir", "run1").Code);
        var spans = File.ReadAllLines(Path.Combine(RunDir, "traces.jsonl")).Select(l => JsonNode.Parse(l)!["name"]!.GetValue<string>()).ToList();
        Assert.Equal(1, spans.Count(s => s == "stage"));
        Assert.Equal(3, spans.Count(s => s == "evaluate"));   // validation at steps 2 and 4, then the test split
        Assert.Equal(3, spans.Count(s => s == "checkpoint")); // steps 2 and 4, and the final model
        var metrics = File.ReadAllLines(Path.Combine(RunDir, "metrics.jsonl")).Select(l => JsonNode.Parse(l)!["name"]!.GetValue<string>()).ToHashSet();
        foreach (var name in new[] { "pluginmoe.train.loss", "pluginmoe.train.aux_loss", "pluginmoe.train.tokens_per_second", "pluginmoe.train.step_time",
            "pluginmoe.train.learning_rate", "pluginmoe.train.grad_norm", "pluginmoe.moe.expert_load" })
            Assert.Contains(name, metrics);
    }

    [Fact]
    public void Run_OnACompletedRunFolder_DoesNothing()
    {
        Assert.Equal(0, _cli.Run("run", "--profile", "tiny", "--run-dir", "run1").Code);
        string log = File.ReadAllText(Path.Combine(RunDir, "train", "log.jsonl"));
        var (code, output, _) = _cli.Run("run", "--profile", "tiny", "--run-dir", "run1");
        Assert.Equal(0, code);
        Assert.Contains("stage 'train' is already complete", output);
        Assert.Contains("nothing to do", output);
        Assert.Equal(log, File.ReadAllText(Path.Combine(RunDir, "train", "log.jsonl")));
    }

    [Fact]
    public void Run_AfterAnInterruption_ContinuesToTheSameModelAsAnUninterruptedRun()
    {
        Assert.Equal(0, _cli.Run("run", "--profile", "tiny", "--run-dir", "straight").Code);
        Assert.Equal(0, _cli.Run("run", "--profile", "tiny", "--run-dir", "run1", "--Training:KeepCheckpoints=2").Code);
        // Make it look interrupted after the step-2 checkpoint: no later checkpoint, no final model, no completion marker.
        string train = Path.Combine(RunDir, "train");
        File.Delete(Path.Combine(train, "completed.json"));
        Directory.Delete(Path.Combine(train, "model"), recursive: true);
        Directory.Delete(Path.Combine(train, "checkpoints", "step-00000004"), recursive: true);
        File.WriteAllText(Path.Combine(train, "checkpoints", "latest"), "step-00000002");

        var (code, output, error) = _cli.Run("run", "--profile", "tiny", "--run-dir", "run1");
        Assert.True(code == 0, error);
        Assert.Contains("train: resuming after step 2", output);
        Assert.Equal(File.ReadAllBytes(Path.Combine(_cli.WorkingDirectory, "straight", "train", "model", "model.safetensors")),
            File.ReadAllBytes(Path.Combine(train, "model", "model.safetensors")));
    }

    [Fact]
    public void Run_MissingDataPath_ExitsWithCode2NamingThePath()
    {
        var (code, _, error) = _cli.Run("run", "--profile", "tiny", "--run-dir", "run1", "--Data:LoaderOptions:Domains:prose:0=nowhere/*.txt");
        Assert.Equal(2, code);
        Assert.Contains("pluginmoe: error: Data:LoaderOptions: text-folder: no files matched for domain 'prose': searched", error);
        Assert.Contains(Path.Combine(_cli.WorkingDirectory, "profiles", "nowhere/*.txt"), error);
        Assert.Contains("--Data:LoaderOptions:Domains:mytext:0=/path/to/texts/**/*.txt", error);
    }

    [Fact]
    public void Run_BadSetting_ExitsWithCode2BeforeCreatingTheRunFolder()
    {
        var (code, output, error) = _cli.Run("run", "--profile", "tiny", "--run-dir", "run1", "--Model:Moe:Router=linaer");
        Assert.Equal(2, code);
        Assert.Equal("", output);
        Assert.Contains("Model:Moe:Router: unknown router plugin 'linaer' (available: linear, multi-head, nexus, xmoe); did you mean 'linear'?", error);
        Assert.DoesNotContain("   at ", error);
        Assert.False(Directory.Exists(RunDir));
    }

    [Fact]
    public void Run_Verbose_AddsTheStackTrace()
    {
        var (code, _, error) = _cli.Run("run", "--profile", "tiny", "--verbose", "--Model:Layers=x");
        Assert.Equal(2, code);
        Assert.Contains("   at ", error);
    }

    [Fact]
    public void Run_UnknownStage_ListsTheKnownStages()
    {
        var (code, _, error) = _cli.Run("run", "--profile", "tiny", "--stages", "trian");
        Assert.Equal(2, code);
        Assert.Contains("--stages: unknown stage 'trian'; known stages: train, seed, branch, embed, upcycle, finetune, extend, baselines, evaluate, report; did you mean 'train'?", error);
    }

    [Fact]
    public void Invoke_UnknownCommand_IsAUsageError()
    {
        var (code, _, error) = _cli.Run("frobnicate");
        Assert.Equal(2, code);
        Assert.StartsWith("pluginmoe: usage error:", error);
    }
}

[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class CliCollection
{
    // Telemetry listens to the process-wide ActivitySource and Meter, so runs must not overlap.
    public const string Name = "cli";
}
