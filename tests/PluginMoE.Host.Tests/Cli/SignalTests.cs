// The real process under signals: SIGTERM and SIGINT stop a run with a checkpoint at the stop step, exit 143
// and 130, and print a resume command that works when pasted into a shell; kill -9 leaves the run folder's
// lock stale, so the next run takes it over (while the process lives, a second run is refused naming its pid)
// and the killed run's log lines after the checkpoint are dropped.
using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using PluginMoE.Host.Tests.Support;

namespace PluginMoE.Host.Tests.Cli;

[Collection(CliCollection.Name)]
public sealed partial class SignalTests : IDisposable
{
    private const int SIGINT = 2;
    private const int SIGTERM = 15;

    private readonly CliHarness _cli = new();

    public SignalTests() => TinyProfile.Write(_cli);

    public void Dispose() => _cli.Dispose();

    private string RunDir => Path.Combine(_cli.WorkingDirectory, "run1");

    private string Log => Path.Combine(RunDir, "train", "log.jsonl");

    // Training that would not end by itself: only the signal stops it. No periodic checkpoint, so the one found is the stop step's.
    private static readonly string[] Endless = ["--Training:Steps=10000000", "--Training:EvalEvery=0", "--Training:CheckpointEvery=0"];

    [DllImport("libc", SetLastError = true)]
    private static extern int kill(int pid, int signal);

    private sealed record Child(Process Process, Task<string> Out, Task<string> Error) : IDisposable
    {
        public void Dispose()
        {
            if (!Process.HasExited) Process.Kill(entireProcessTree: true);
            Process.Dispose();
        }
    }

    private Child Start(string file, params string[] args)
    {
        var info = new ProcessStartInfo(file) { WorkingDirectory = _cli.WorkingDirectory, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) info.ArgumentList.Add(a);
        foreach (var key in info.Environment.Keys.Where(k => k.StartsWith("PLUGINMOE", StringComparison.OrdinalIgnoreCase)).ToList()) info.Environment.Remove(key);
        var process = Process.Start(info) ?? throw new InvalidOperationException($"could not start {file}");
        return new Child(process, process.StandardOutput.ReadToEndAsync(), process.StandardError.ReadToEndAsync());
    }

    private Child StartHost(params string[] args) => Start("dotnet", [Path.Combine(AppContext.BaseDirectory, "pluginmoe.dll"), .. args]);

    // Waits until log.jsonl has a step line (a step finished), failing with the child's output if it ends first.
    private void WaitForAStep(Child child)
    {
        var clock = Stopwatch.StartNew();
        while (!(File.Exists(Log) && File.ReadAllText(Log).Contains("\"type\":\"step\"", StringComparison.Ordinal)))
        {
            if (child.Process.HasExited) Assert.Fail($"the host exited with {child.Process.ExitCode} before a step:\n{child.Out.Result}\n{child.Error.Result}");
            if (clock.Elapsed > TimeSpan.FromMinutes(2)) Assert.Fail("no training step within 2 minutes");
            Thread.Sleep(50);
        }
    }

    private static (int Code, string Error) Stop(Child child, int signal)
    {
        Assert.Equal(0, kill(child.Process.Id, signal));
        if (!child.Process.WaitForExit(TimeSpan.FromMinutes(2)))
        {
            // Say where it stood: its own output up to now (read after killing it, so the pipes end).
            child.Process.Kill(entireProcessTree: true);
            child.Process.WaitForExit();
            Assert.Fail($"the host did not stop within 2 minutes of signal {signal}:\n{child.Out.Result}\n{child.Error.Result}");
        }
        return (child.Process.ExitCode, child.Error.Result);
    }

    private static List<int> Steps(string log) =>
        [.. File.ReadAllLines(log).Select(l => JsonNode.Parse(l)!).Where(s => s["type"]!.GetValue<string>() == "step").Select(s => s["step"]!.GetValue<int>())];

    [GeneratedRegex(@"pluginmoe: cancelled at step (\d+); checkpoint at step (\d+); resume with: (.+)")]
    private static partial Regex Cancelled();

    [Fact]
    public async Task SigtermThenSigint_StopWithACheckpointAtTheStopStep_Exit143And130_AndThePrintedCommandResumes()
    {
        using var first = StartHost(["run", "--profile", "tiny", "--run-dir", "run1", .. Endless]);
        WaitForAStep(first);
        var (code, error) = Stop(first, SIGTERM);
        Assert.True(code == 143, $"exit {code}: {error}");
        var match = Cancelled().Match(error);
        Assert.True(match.Success, error);
        Assert.Equal(match.Groups[1].Value, match.Groups[2].Value);
        long step = long.Parse(match.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal($"step-{step:D8}", File.ReadAllText(Path.Combine(RunDir, "train", "checkpoints", "latest")));
        string resume = match.Groups[3].Value.Trim();
        Assert.Contains($"run --profile tiny --run-dir {RunDir} --Training:Steps=10000000 --Training:EvalEvery=0 --Training:CheckpointEvery=0", resume);

        // The printed command, pasted into a shell, resumes after that step; Ctrl+C (SIGINT) stops it with 130.
        // env --default-signal=INT: a test run started in the background (or under nohup) inherits SIGINT as ignored,
        // and .NET keeps an inherited ignore (as a shell's background job should); an interactive shell has it at default.
        using var second = Start("bash", "-c", "exec env --default-signal=INT " + resume);
        var clock = Stopwatch.StartNew();
        while (Steps(Log).Count <= step)
        {
            if (second.Process.HasExited) Assert.Fail($"the resumed host exited with {second.Process.ExitCode}:\n{await second.Out}\n{await second.Error}");
            Assert.True(clock.Elapsed < TimeSpan.FromMinutes(2), "the resumed run took no step within 2 minutes");
            Thread.Sleep(50);
        }
        var (code2, error2) = Stop(second, SIGINT);
        Assert.True(code2 == 130, $"exit {code2}: {error2}");
        Assert.Contains($"train: resuming after step {step}", await second.Out);
        Assert.Matches(Cancelled(), error2);
        var steps = Steps(Log);
        Assert.Equal(Enumerable.Range(1, steps.Count), steps);
    }

    // Steps long enough that the run is still stopping when the second SIGTERM comes: System.CommandLine's handler then
    // threw from the signal thread ("An attempt was made to transition a task to a final state when it had already
    // completed") and the process aborted (exit 134) without a checkpoint.
    private static readonly string[] SlowSteps =
        ["--Model:HiddenSize=64", "--Model:IntermediateSize=128", "--Model:Layers=2", "--Model:MaxPositions=64", "--Training:SequenceLength=64", "--Training:BatchSize=8"];

    [Fact]
    public void SigtermTwice_AsDotnetRunDeliversIt_StopsWithACheckpointAtTheStopStep_Exit143_AndOneCleanMessage()
    {
        // `dotnet run` forwards the SIGTERM it gets to the host, which gets its own copy too when the process group is signalled.
        using var child = StartHost(["run", "--profile", "tiny", "--run-dir", "run1", .. Endless, .. SlowSteps]);
        WaitForAStep(child);
        Assert.Equal(0, kill(child.Process.Id, SIGTERM));
        var (code, error) = Stop(child, SIGTERM);
        Assert.True(code == 143, $"exit {code}: {error}");
        var match = Cancelled().Match(error);
        Assert.True(match.Success, error);
        Assert.Equal(match.Groups[1].Value, match.Groups[2].Value);
        long step = long.Parse(match.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal($"step-{step:D8}", File.ReadAllText(Path.Combine(RunDir, "train", "checkpoints", "latest")));
        Assert.DoesNotContain("final state", error);
        Assert.DoesNotContain("Unhandled exception", error);
        Assert.DoesNotContain("   at ", error);
        Assert.Single(error.Split('\n'), l => l.StartsWith("pluginmoe: cancelled", StringComparison.Ordinal));
    }

    [Fact]
    public void Kill9_LeavesAStaleLockThatTheNextRunTakesOver_AndItsLogLinesAfterTheCheckpointAreDropped()
    {
        using var child = StartHost(["run", "--profile", "tiny", "--run-dir", "run1", .. Endless]);
        WaitForAStep(child);

        // While it lives, the folder is its own.
        // (Bounded, so that a lock that does not hold fails this test instead of training without end.)
        using var bound = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        var (busy, _, busyError) = _cli.RunWith(env => env, bound.Token, ["run", "--profile", "tiny", "--run-dir", "run1", .. Endless]);
        Assert.Equal(2, busy);
        Assert.Contains($"run folder '{RunDir}' is in use by process {child.Process.Id} (", busyError);

        child.Process.Kill();
        child.Process.WaitForExit();
        Assert.NotEmpty(Steps(Log));

        // kill -9 saved nothing (no checkpoint yet): the next run starts over, with a log that holds each step once.
        using var cancel = new CancellationTokenSource();
        var (code, output, error) = _cli.RunWith(env => env with { Out = new CancellingWriter("train: 3/", cancel) }, cancel.Token,
            ["run", "--profile", "tiny", "--run-dir", "run1", .. Endless]);
        Assert.True(code == 130, $"exit {code}\n{output}\n{error}");
        Assert.Contains("train: log.jsonl: removed", output);
        Assert.Equal([1, 2, 3], Steps(Log));
    }
}
