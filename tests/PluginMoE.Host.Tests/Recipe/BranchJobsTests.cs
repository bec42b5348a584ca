// Per-domain branch jobs (`--stages branch --domain d`) and `--parallel N` on the tiny recipe: the per-domain
// commands run as concurrent local processes (as a cluster's array tasks would) and give, bit for bit, the experts
// of a sequential branch stage; the stage completes only when every expert is in place, and upcycle then starts;
// the run folder's locks refuse a second job for one domain and mix no whole-stage job with domain jobs, in words
// that name the holder; a failing `--parallel` child is named with its exit code and log; `--domain a,b --parallel 2`
// trains exactly those domains as concurrent children, beside a job that holds another domain.
using System.Diagnostics;
using System.Text.Json.Nodes;
using PluginMoE.Core.Recipe.Runs;
using PluginMoE.Host.Tests.Cli;
using PluginMoE.Host.Tests.Support;
using PluginMoE.Tensors.Backends;

namespace PluginMoE.Host.Tests.Recipe;

[Collection(CliCollection.Name)]
public sealed class BranchJobsTests : IDisposable
{
    private static readonly string[] Domains = ["code", "numbers", "prose"];

    private readonly CliHarness _cli = new();

    public void Dispose() => _cli.Dispose();

    private string Dir(string name) => Path.Combine(_cli.WorkingDirectory, name);

    private void Ok(params string[] args)
    {
        var (code, output, error) = _cli.Run(["run", "--profile", "profiles/recipe.json", .. args]);
        Assert.True(code == 0, $"exit {code}\n{output}\n{error}");
    }

    private (int Code, string Out, string Error) Run(params string[] args) => _cli.Run(["run", "--profile", "profiles/recipe.json", .. args]);

    private static byte[] Weights(string run, string domain) => File.ReadAllBytes(Path.Combine(run, "branch", domain, "model", "model.safetensors"));

    [Fact]
    public async Task PerDomainJobs_RunAsConcurrentProcesses_EqualASequentialBranchStage_AndUpcycleThenStarts()
    {
        TinyRecipe.Write(_cli, branchSteps: 6);
        Ok("--run-dir", "sequential", "--stages", "seed,branch");
        Ok("--run-dir", "jobs", "--stages", "seed");

        // Before any expert exists, upcycle names every missing domain with the command that trains it.
        var early = Run("--run-dir", "jobs", "--stages", "upcycle");
        Assert.Equal(2, early.Code);
        Assert.Contains("stage 'upcycle' needs the output of stage 'branch', which is not complete", early.Error, StringComparison.Ordinal);

        // Three jobs started at once, as array tasks on shared storage would be.
        var jobs = Domains.Select(d => StartChild("run", "--profile", "profiles/recipe.json", "--run-dir", "jobs", "--stages", "branch", "--domain", d)).ToList();
        foreach (var (domain, job) in Domains.Zip(jobs))
        {
            var (code, output) = await job;
            Assert.True(code == 0, $"job for '{domain}' exited with {code}:\n{output}");
        }

        foreach (var domain in Domains)
            Assert.Equal(Weights(Dir("sequential"), domain), Weights(Dir("jobs"), domain));
        Assert.True(File.Exists(Path.Combine(Dir("jobs"), "branch", RunFolder.CompletedFile)));
        // Every invocation left one whole line (seed, the failed upcycle, three domain jobs).
        var lines = File.ReadAllLines(Path.Combine(Dir("jobs"), RunFolder.InvocationsFile));
        Assert.Equal(5, lines.Length);
        Assert.Equal(Domains, lines.Skip(2).Select(l => JsonNode.Parse(l)!["resume_command"]!.GetValue<string>().Split("--domain ")[1]).Order());
        foreach (var domain in Domains)
            Assert.True(File.Exists(Path.Combine(Dir("jobs"), RunFolder.JobsFolder, $"branch-{domain}", "traces.jsonl")));

        Ok("--run-dir", "jobs", "--stages", "embed,upcycle");
        Assert.True(Directory.Exists(Path.Combine(Dir("jobs"), "upcycle", "linear", "model")));
    }

    [Fact]
    public void Locks_RefuseASecondJobForOneDomain_AndNeverMixWholeStageAndDomainJobs()
    {
        TinyRecipe.Write(_cli);
        Ok("--run-dir", "run1", "--stages", "seed");
        string run = Dir("run1");
        int pid = Environment.ProcessId;

        using (RunLock.AcquireDomains(run, ["code"], "pluginmoe run --stages branch --domain code (test)", null))
        {
            var same = Run("--run-dir", "run1", "--stages", "branch", "--domain", "code");
            Assert.Equal(2, same.Code);
            Assert.Contains($"--domain: the expert for domain 'code' of run folder '{run}' is already being trained by process {pid} " +
                "(pluginmoe run --stages branch --domain code (test)); one job per domain at a time", same.Error, StringComparison.Ordinal);

            var whole = Run("--run-dir", "run1", "--stages", "branch");
            Assert.Equal(2, whole.Code);
            Assert.Contains($"--run-dir: run folder '{run}' is in use by per-domain branch jobs (domain 'code': process {pid} " +
                "(pluginmoe run --stages branch --domain code (test))); a job that runs whole stages waits until they have finished", whole.Error, StringComparison.Ordinal);

            // Another domain runs beside it; the stage stays open and says what is missing and how to make it.
            var other = Run("--run-dir", "run1", "--stages", "branch", "--domain", "prose");
            Assert.True(other.Code == 0, other.Out + other.Error);
            Assert.Contains("stage 'branch' is not complete yet: 1 of 3 experts are in place; no expert yet for domain 'code' " +
                $"(train it with: pluginmoe run --profile profiles/recipe.json --run-dir {run} --stages branch --domain code)", other.Out, StringComparison.Ordinal);
            Assert.False(File.Exists(Path.Combine(run, "branch", RunFolder.CompletedFile)));
        }

        using (RunLock.Acquire(run, "pluginmoe run --profile whole (test)"))
        {
            var domain = Run("--run-dir", "run1", "--stages", "branch", "--domain", "numbers");
            Assert.Equal(2, domain.Code);
            Assert.Contains($"--run-dir: run folder '{run}' is in use by process {pid} (pluginmoe run --profile whole (test)), a job that runs whole stages; " +
                "--domain jobs run beside each other, not beside it", domain.Error, StringComparison.Ordinal);
        }

        var unknown = Run("--run-dir", "run1", "--stages", "branch", "--domain", "poetry");
        Assert.Equal(2, unknown.Code);
        Assert.Contains("--domain: 'poetry' is not a domain of this profile's data; its domains are: code, numbers, prose", unknown.Error, StringComparison.Ordinal);

        var upcycle = Run("--run-dir", "run1", "--stages", "upcycle");
        Assert.Equal(2, upcycle.Code);
        Assert.Contains("no expert yet for " +
            $"domain 'code' (train it with: pluginmoe run --profile profiles/recipe.json --run-dir {run} --stages branch --domain code), " +
            $"domain 'numbers' (train it with: pluginmoe run --profile profiles/recipe.json --run-dir {run} --stages branch --domain numbers)",
            upcycle.Error, StringComparison.Ordinal);

        var noStage = Run("--run-dir", "run1", "--domain", "code");
        Assert.Equal(2, noStage.Code);
        Assert.Contains("--domain: trains experts of the branch stage only; run it with --stages branch", noStage.Error, StringComparison.Ordinal);
        var zero = Run("--run-dir", "run1", "--stages", "branch", "--parallel", "0");
        Assert.Equal(2, zero.Code);
        Assert.Contains("--parallel: value 0 is not allowed", zero.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void Parallel2_TrainsTheExpertsInChildProcesses_NamesAFailingChild_AndEqualsASequentialRunAtTheChildrensThreadCount()
    {
        TinyRecipe.Write(_cli, branchSteps: 6);
        int threads = Math.Max(1, Environment.ProcessorCount / 2);
        using (ParallelFor.WithThreads(threads)) Ok("--run-dir", "sequential", "--stages", "seed,branch");
        Ok("--run-dir", "parallel", "--stages", "seed");
        string run = Dir("parallel");

        // A job elsewhere holds the 'numbers' expert: that child fails and is named with its exit code and log.
        using (RunLock.AcquireDomain(run, "numbers", "pluginmoe run --domain numbers (test)"))
        {
            var (code, output, error) = Run("--run-dir", "parallel", "--stages", "branch", "--parallel", "2");
            Assert.Equal(1, code);
            Assert.Contains($"branch: 3 experts, 2 at a time as child processes, {threads} kernel thread", output, StringComparison.Ordinal);
            Assert.Contains("[code] run folder: ", output, StringComparison.Ordinal);
            Assert.Contains("[prose] done: ", output, StringComparison.Ordinal);
            string log = Path.Combine(run, RunFolder.JobsFolder, "branch-numbers", "output.log");
            Assert.Contains($"1 of 3 expert jobs failed: expert 'numbers' exited with code 2 (log: {log}; last line: pluginmoe: error: --domain: the expert for domain 'numbers'",
                error, StringComparison.Ordinal);
            Assert.Contains("already being trained by", File.ReadAllText(log), StringComparison.Ordinal);
            Assert.False(File.Exists(Path.Combine(run, "branch", RunFolder.CompletedFile)));
        }

        // --domain with --parallel: exactly those domains, as concurrent children, beside another job holding the third.
        Ok("--run-dir", "subset", "--stages", "seed");
        string subset = Dir("subset");
        using (RunLock.AcquireDomains(subset, ["numbers"], "pluginmoe run --domain numbers (test)", null))
        {
            var (code, output, error) = Run("--run-dir", "subset", "--stages", "branch", "--domain", "code,prose", "--parallel", "2");
            Assert.True(code == 0, output + error);
            Assert.Contains($"branch: 2 experts, 2 at a time as child processes, {threads} kernel thread", output, StringComparison.Ordinal);
            Assert.Contains("[code] done: ", output, StringComparison.Ordinal);
            Assert.Contains("[prose] done: ", output, StringComparison.Ordinal);
            Assert.DoesNotContain("[numbers]", output, StringComparison.Ordinal);
            Assert.Contains("no expert yet for domain 'numbers'", output, StringComparison.Ordinal);
            Assert.False(Directory.Exists(Path.Combine(subset, "branch", "numbers")));
            Assert.False(File.Exists(Path.Combine(subset, "branch", RunFolder.CompletedFile)));
            foreach (var domain in new[] { "code", "prose" })
            {
                Assert.Equal(Weights(Dir("sequential"), domain), Weights(subset, domain));
                Assert.True(File.Exists(Path.Combine(subset, RunFolder.JobsFolder, $"branch-{domain}", "output.log")));
            }
            // Every refusal of --domain stays with --parallel: an unknown domain, --restart, other stages.
            var unknown = Run("--run-dir", "subset", "--stages", "branch", "--domain", "code,poetry", "--parallel", "2");
            Assert.Equal(2, unknown.Code);
            Assert.Contains("--domain: 'poetry' is not a domain of this profile's data; its domains are: code, numbers, prose", unknown.Error, StringComparison.Ordinal);
        }
        var refused = Run("--run-dir", "subset", "--stages", "branch,embed", "--domain", "numbers", "--parallel", "2", "--restart", "branch");
        Assert.Equal(2, refused.Code);
        Assert.Contains("--domain: trains experts of the branch stage only", refused.Error, StringComparison.Ordinal);
        Assert.Contains("--domain: cannot be combined with --restart", refused.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("--parallel: cannot be combined", refused.Error, StringComparison.Ordinal);

        var again = Run("--run-dir", "parallel", "--stages", "branch", "--parallel", "2");
        Assert.True(again.Code == 0, again.Out + again.Error);
        Assert.Contains("branch: expert 'code' already trained", again.Out, StringComparison.Ordinal);
        Assert.Contains("[numbers] ", again.Out, StringComparison.Ordinal);
        Assert.True(File.Exists(Path.Combine(run, "branch", RunFolder.CompletedFile)));
        foreach (var domain in Domains)
            Assert.Equal(Weights(Dir("sequential"), domain), Weights(run, domain));
    }

    [Fact]
    public void Parallel_Cancelled_PassesSigtermToTheChildren_WhichStopAndSayHowToResume()
    {
        TinyRecipe.Write(_cli, branchSteps: 5000);
        Ok("--run-dir", "run1", "--stages", "seed");
        using var cancel = new CancellationTokenSource();
        // Cancelled once the first child has loaded its data and starts training.
        var (code, output, _) = _cli.RunWith(env => env with { Out = new CancellingWriter("[code] data: ", cancel) }, cancel.Token,
            "run", "--profile", "profiles/recipe.json", "--run-dir", "run1", "--stages", "branch", "--parallel", "2");
        Assert.Equal(130, code);
        string log = File.ReadAllText(Path.Combine(Dir("run1"), RunFolder.JobsFolder, "branch-code", "output.log"));
        Assert.Contains("pluginmoe: cancelled", log, StringComparison.Ordinal);
        Assert.Contains("resume with: ", log, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(Dir("run1"), "branch", "code")));
        Assert.DoesNotContain("[prose]", output, StringComparison.Ordinal); // never started
    }

    // Starts the CLI (the test build's pluginmoe.dll) as a child process in the working directory; returns its exit code and output.
    private Task<(int Code, string Output)> StartChild(params string[] args)
    {
        var info = new ProcessStartInfo("dotnet") { WorkingDirectory = _cli.WorkingDirectory, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { Path.Combine(AppContext.BaseDirectory, "pluginmoe.dll") }.Concat(args)) info.ArgumentList.Add(a);
        foreach (var key in info.Environment.Keys.Where(k => k.StartsWith("PLUGINMOE", StringComparison.OrdinalIgnoreCase)).ToList()) info.Environment.Remove(key);
        var child = Process.Start(info)!;
        return Task.Run(async () =>
        {
            using (child)
            {
                var stdout = child.StandardOutput.ReadToEndAsync();
                var stderr = child.StandardError.ReadToEndAsync();
                await child.WaitForExitAsync().ConfigureAwait(false);
                return (child.ExitCode, await stdout.ConfigureAwait(false) + await stderr.ConfigureAwait(false));
            }
        });
    }
}
