// A run folder keeps what it says: a rerun that would change a stage's defining settings is refused (listing
// each key), config.resolved.json records only settings that were used, one process at a time holds the folder,
// a resumed log equals an uninterrupted one, --run-dir must be a run folder or empty, a cancelled run saves a
// checkpoint at its stop step and says how to resume, and a corrupt checkpoint is named with the way around it.
using System.Text.Json.Nodes;
using PluginMoE.Core.Recipe.Runs;
using PluginMoE.Core.Recipe.Stages;
using PluginMoE.Host.Tests.Cli;
using PluginMoE.Host.Tests.Support;

namespace PluginMoE.Host.Tests.Stages;

[Collection(CliCollection.Name)]
public sealed class RunFolderIntegrityTests : IDisposable
{
    private readonly CliHarness _cli = new();

    public RunFolderIntegrityTests() => TinyProfile.Write(_cli);

    public void Dispose() => _cli.Dispose();

    private string RunDir => Path.Combine(_cli.WorkingDirectory, "run1");

    private string Train => Path.Combine(RunDir, "train");

    private (int Code, string Out, string Error) Run(params string[] args) => _cli.Run(["run", "--profile", "tiny", "--run-dir", "run1", .. args]);

    private void RunOk(params string[] args)
    {
        var (code, output, error) = Run(args);
        Assert.True(code == 0, $"exit {code}\n{output}\n{error}");
    }

    private string ResolvedConfig => File.ReadAllText(Path.Combine(RunDir, "config.resolved.json"));

    // Step and eval lines without the fields that measure time.
    private static List<string> LogWithoutTiming(string path) =>
        [.. File.ReadAllLines(path).Select(l =>
        {
            var o = JsonNode.Parse(l)!.AsObject();
            o.Remove("tokens_per_second");
            o.Remove("step_time_s");
            return o.ToJsonString();
        })];

    // Makes the finished run look as if it had been killed right after the checkpoint of `step` (of 2 and 4).
    private void InterruptAfter(int step)
    {
        File.Delete(Path.Combine(Train, "completed.json"));
        Directory.Delete(Path.Combine(Train, "model"), recursive: true);
        if (step == 2)
        {
            Directory.Delete(Path.Combine(Train, "checkpoints", "step-00000004"), recursive: true);
            File.WriteAllText(Path.Combine(Train, "checkpoints", "latest"), "step-00000002");
        }
    }

    [Fact]
    public void Rerun_OfACompletedRunWithAnotherTopK_IsRefusedListingTheKeyAndLeavesTheResolvedConfigAlone()
    {
        RunOk();
        string config = ResolvedConfig;
        var (code, output, error) = Run("--Model:Moe:TopK=2", "--Training:LearningRate=0.02");
        Assert.Equal(2, code);
        Assert.Equal("", output);
        Assert.Contains($"stage 'train' in {RunDir} was completed with other settings, which it cannot change on resume:", error);
        Assert.Contains("Model:Moe:TopK: stored 1, now 2 (it shapes the trained model)", error);
        Assert.Contains("Training:LearningRate: stored 0.01, now 0.02 (it shapes the trained model)", error);
        Assert.Contains("Settings that may change on resume: Training:Steps (upwards), Training:EvalEvery, Training:CheckpointEvery", error);
        Assert.Contains("add --restart train to start it afresh with the new settings", error);
        Assert.Equal(config, ResolvedConfig);
    }

    [Fact]
    public void Resume_OfAnInterruptedRunWithAnotherLearningRate_IsRefused()
    {
        RunOk("--Training:KeepCheckpoints=2");
        InterruptAfter(2);
        var (code, _, error) = Run("--Training:KeepCheckpoints=2", "--Training:LearningRate=0.05");
        Assert.Equal(2, code);
        Assert.Contains("was started with other settings", error);
        Assert.Contains("Training:LearningRate: stored 0.01, now 0.05", error);
        Assert.False(File.Exists(Path.Combine(Train, "completed.json")));
    }

    [Fact]
    public void Rerun_WithFewerSteps_IsRefused()
    {
        RunOk();
        var (code, _, error) = Run("--Training:Steps=2");
        Assert.Equal(2, code);
        Assert.Contains("Training:Steps: stored 4, now 2 (Training:Steps may only increase on resume)", error);
    }

    [Fact]
    public void Rerun_WithMoreSteps_TrainsOnToTheNewLastStepAndRecordsIt()
    {
        RunOk();
        var (code, output, error) = Run("--Training:Steps=6");
        Assert.True(code == 0, error);
        Assert.Contains("train: Training:Steps: stored 4, now 6: training continues to step 6", output);
        Assert.Contains("train: resuming after step 4", output);
        var steps = File.ReadAllLines(Path.Combine(Train, "log.jsonl")).Select(l => JsonNode.Parse(l)!)
            .Where(s => s["type"]!.GetValue<string>() == "step").Select(s => s["step"]!.GetValue<int>());
        Assert.Equal([1, 2, 3, 4, 5, 6], steps);
        Assert.Equal(6, JsonNode.Parse(File.ReadAllText(Path.Combine(Train, "eval.json")))!["step"]!.GetValue<int>());
        Assert.Equal(6, JsonNode.Parse(ResolvedConfig)!["Training"]!["Steps"]!.GetValue<int>());
        Assert.Equal("6", StageSettings.Read(Train)!.Values["Training:Steps"]);
    }

    [Fact]
    public void Rerun_OfACompletedRunWithOnlyEvalEveryChanged_IsSkippedWithoutRecordingTheUnusedSetting()
    {
        RunOk();
        string config = ResolvedConfig;
        var (code, output, _) = Run("--Training:EvalEvery=1");
        Assert.Equal(0, code);
        Assert.Contains("train: Training:EvalEvery: stored 2, now 1: not used, the stage is complete", output);
        Assert.Contains("nothing to do", output);
        Assert.Equal(config, ResolvedConfig);
        var invocations = File.ReadAllLines(Path.Combine(RunDir, "invocations.jsonl")).Select(l => JsonNode.Parse(l)!).ToList();
        Assert.Equal(2, invocations.Count);
        Assert.Equal("skip", invocations[1]["stages"]!["train"]!.GetValue<string>());
        Assert.False(invocations[1]["config_written"]!.GetValue<bool>());
        Assert.Equal("Training:EvalEvery", invocations[1]["changed_settings"]![0]!["key"]!.GetValue<string>());
    }

    [Fact]
    public void Restart_StartsTheStageAfreshWithTheNewSettings()
    {
        RunOk();
        var (code, output, error) = Run("--Model:Moe:TopK=2", "--restart", "train");
        Assert.True(code == 0, error);
        Assert.Contains("stage 'train': --restart: deleting its previous output", output);
        Assert.Equal(2, JsonNode.Parse(ResolvedConfig)!["Model"]!["Moe"]!["TopK"]!.GetValue<int>());
        Assert.Equal(2, PluginMoE.Core.Checkpoints.CheckpointStore.Load(Path.Combine(Train, "model")).Config.Moe!.TopK);
        var steps = File.ReadAllLines(Path.Combine(Train, "log.jsonl")).Select(l => JsonNode.Parse(l)!)
            .Where(s => s["type"]!.GetValue<string>() == "step").Select(s => s["step"]!.GetValue<int>());
        Assert.Equal([1, 2, 3, 4], steps);
    }

    [Fact]
    public void Restart_OfAStageThatDoesNotRun_IsAUsageError()
    {
        var (code, _, error) = Run("--restart", "trian");
        Assert.Equal(2, code);
        Assert.Contains("--restart: unknown stage 'trian'; known stages: train, seed, branch, embed, upcycle, finetune, extend, baselines, evaluate, report; did you mean 'train'?", error);
    }

    [Fact]
    public void Resume_TruncatesTheLogToTheCheckpointStep_SoItEqualsAnUninterruptedRunsLog()
    {
        Assert.Equal(0, _cli.Run("run", "--profile", "tiny", "--run-dir", "straight").Code);
        RunOk("--Training:KeepCheckpoints=2");
        InterruptAfter(2);
        // A kill during a write leaves a torn last line.
        File.AppendAllText(Path.Combine(Train, "log.jsonl"), "{\"type\":\"step\",\"st");

        var (code, output, error) = Run("--Training:KeepCheckpoints=2");
        Assert.True(code == 0, error);
        Assert.Contains("train: log.jsonl: removed 4 line(s) after step 2", output); // steps 3 and 4, the eval at 4, the torn line
        Assert.Equal(LogWithoutTiming(Path.Combine(_cli.WorkingDirectory, "straight", "train", "log.jsonl")), LogWithoutTiming(Path.Combine(Train, "log.jsonl")));
    }

    [Fact]
    public void RunDir_NamingAFile_IsAUsageError()
    {
        string file = _cli.Write("notes.txt", "mine");
        var (code, _, error) = _cli.Run("run", "--profile", "tiny", "--run-dir", "notes.txt");
        Assert.Equal(2, code);
        Assert.Contains($"pluginmoe: error: --run-dir: '{file}' is a file, not a folder; pass a new or empty folder, or a run folder to resume", error);
        Assert.Equal("mine", File.ReadAllText(file));
    }

    [Fact]
    public void RunDir_NamingAnUnrelatedNonEmptyFolder_IsAUsageErrorAndWritesNothing()
    {
        _cli.Write("photos/a.jpg", "x");
        var (code, _, error) = _cli.Run("run", "--profile", "tiny", "--run-dir", "photos");
        Assert.Equal(2, code);
        Assert.Contains($"--run-dir: folder '{Path.Combine(_cli.WorkingDirectory, "photos")}' is not empty (a.jpg) and is not a PluginMoE run folder", error);
        Assert.Equal(["a.jpg"], Directory.GetFileSystemEntries(Path.Combine(_cli.WorkingDirectory, "photos")).Select(Path.GetFileName));
    }

    [Fact]
    public void RunDir_NamingAnEmptyFolder_IsUsed()
    {
        Directory.CreateDirectory(RunDir);
        RunOk();
        Assert.True(File.Exists(Path.Combine(Train, "completed.json")));
    }

    [Fact]
    public void Lock_HeldByAnotherHolder_FailsNamingItsProcessId_AndIsFreeAfterwards()
    {
        Directory.CreateDirectory(RunDir);
        using (RunLock.Acquire(RunDir, "pluginmoe run --profile other"))
        {
            var (code, _, error) = Run();
            Assert.Equal(2, code);
            Assert.Contains($"--run-dir: run folder '{RunDir}' is in use by process {Environment.ProcessId} (pluginmoe run --profile other)", error);
        }
        RunOk();
        Assert.False(File.Exists(Path.Combine(RunDir, RunLock.OwnerFile)));
    }

    [Fact]
    public void Cancel_SavesACheckpointAtTheStopStep_PrintsTheResumeCommand_AndTheResumedRunEqualsAnUninterruptedOne()
    {
        Assert.Equal(0, _cli.Run("run", "--profile", "tiny", "--run-dir", "straight").Code);
        using var cancel = new CancellationTokenSource();
        // Cancelled while step 3 is reported: the trainer stops before step 4; step 3 is not a checkpoint step (every 2).
        var (code, output, error) = _cli.RunWith(env => env with { Out = new CancellingWriter("train: 3/4", cancel) }, cancel.Token,
            "run", "--profile", "tiny", "--run-dir", "run1", "--Model:Moe:TopK=1");
        Assert.Equal(130, code);
        Assert.Contains($"pluginmoe: cancelled at step 3; checkpoint at step 3; resume with: pluginmoe run --profile tiny --run-dir {RunDir} --Model:Moe:TopK=1", error);
        Assert.Equal("step-00000003", File.ReadAllText(Path.Combine(Train, "checkpoints", "latest")));
        Assert.DoesNotContain("done:", output);

        var resumed = _cli.Run("run", "--profile", "tiny", "--run-dir", RunDir, "--Model:Moe:TopK=1");
        Assert.True(resumed.Code == 0, resumed.Error);
        Assert.Contains("train: resuming after step 3", resumed.Out);
        Assert.Equal(File.ReadAllBytes(Path.Combine(_cli.WorkingDirectory, "straight", "train", "model", "model.safetensors")),
            File.ReadAllBytes(Path.Combine(Train, "model", "model.safetensors")));
        Assert.Equal(LogWithoutTiming(Path.Combine(_cli.WorkingDirectory, "straight", "train", "log.jsonl")), LogWithoutTiming(Path.Combine(Train, "log.jsonl")));
    }

    [Fact]
    public void CorruptCheckpoint_IsNamed_AndResumeFromAnEarlierOneContinuesToTheSameModel()
    {
        Assert.Equal(0, _cli.Run("run", "--profile", "tiny", "--run-dir", "straight").Code);
        RunOk("--Training:KeepCheckpoints=2");
        InterruptAfter(4);
        string weights = Path.Combine(Train, "checkpoints", "step-00000004", "model.safetensors");
        var bytes = File.ReadAllBytes(weights);
        bytes[^1] ^= 0xFF;
        File.WriteAllBytes(weights, bytes);

        var (code, _, error) = Run("--Training:KeepCheckpoints=2");
        Assert.Equal(2, code);
        Assert.Contains($"stage 'train': checkpoint '{Path.Combine(Train, "checkpoints", "step-00000004")}' cannot be resumed:", error);
        Assert.Contains("Resume from an earlier checkpoint with --resume-from step-00000002 (available: step-00000002), or start the stage afresh with --restart train", error);

        // The checkpoint may be given by name or, as here, by its path.
        var (resumed, output, resumeError) = Run("--Training:KeepCheckpoints=2", "--resume-from", Path.Combine(Train, "checkpoints", "step-00000002"));
        Assert.True(resumed == 0, resumeError);
        Assert.Contains("train: resuming after step 2", output);
        Assert.Equal(File.ReadAllBytes(Path.Combine(_cli.WorkingDirectory, "straight", "train", "model", "model.safetensors")),
            File.ReadAllBytes(Path.Combine(Train, "model", "model.safetensors")));
    }

    [Fact]
    public void ResumeFrom_ACheckpointThatDoesNotExist_ListsTheAvailableOnes()
    {
        RunOk("--Training:KeepCheckpoints=2");
        var (code, _, error) = Run("--Training:KeepCheckpoints=2", "--resume-from", "step-00000003");
        Assert.Equal(2, code);
        Assert.Contains("--resume-from: stage 'train' has no checkpoint 'step-00000003'", error);
        Assert.Contains("--resume-from step-00000004 (available: step-00000002, step-00000004)", error);
    }
}
