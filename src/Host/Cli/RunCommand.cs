// `pluginmoe run --profile <name> [--run-dir DIR] [--stages a,b] [--restart a] [--resume-from step-N]
// [--domain d[,d...]] [--parallel N] [--Section:Key=value ...]`: loads the layered configuration and checks it, the
// stages and their plugins (every problem at once), takes the run folder's lock (exclusive, or for a per-domain
// branch job shared plus the domains' locks), plans each stage against the settings recorded in the folder, then
// runs the stages. Ctrl+C or SIGTERM saves a checkpoint and prints the command that resumes.
using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using PluginMoE.Core.Composition;
using PluginMoE.Core.Recipe.Runs;
using PluginMoE.Core.Recipe.Settings;
using PluginMoE.Core.Recipe.Stages;
using PluginMoE.Host.Configuration;
using PluginMoE.Host.Stages;
using PluginMoE.Host.Telemetry;

namespace PluginMoE.Host.Cli;

/// <summary>The <c>run</c> command.</summary>
public static class RunCommand
{
    /// <summary>What <c>run</c> was given on the command line.</summary>
    /// <param name="Profile">--profile, or null.</param>
    /// <param name="RunDirectory">--run-dir, or null.</param>
    /// <param name="Stages">--stages, or null.</param>
    /// <param name="Restart">--restart (comma-separated stage names), or null.</param>
    /// <param name="ResumeFrom">--resume-from (<c>step-N</c> or <c>stage/step-N</c>), or null.</param>
    /// <param name="Overrides">The settings overrides (<c>--Section:Key=value</c>).</param>
    public sealed record Arguments(string? Profile, string? RunDirectory, string? Stages, string? Restart, string? ResumeFrom, IReadOnlyList<string> Overrides)
    {
        /// <summary>--domain (repeatable, each a comma-separated list): the branch stage trains only these domains' experts.</summary>
        public IReadOnlyList<string> Domains { get; init; } = [];

        /// <summary>--parallel: child processes that train the branch stage's experts at once, or null.</summary>
        public int? Parallel { get; init; }
    }

    /// <summary>Builds the command.</summary>
    public static Command Create(CliEnvironment env, Option<bool> verbose, StageRunner runner)
    {
        ArgumentNullException.ThrowIfNull(env);
        ArgumentNullException.ThrowIfNull(runner);
        var profile = new Option<string?>("--profile", "-p") { Description = $"Profile name (profiles/<name>.json) or path to a .json file; default: ${LayeredConfiguration.ProfileVariable}" };
        var runDir = new Option<string?>("--run-dir") { Description = "Run folder to create or resume (default: runs/<profile>-<utc-timestamp>Z)" };
        var stages = new Option<string?>("--stages") { Description = $"Comma-separated stages to run instead of the profile's Run:Stages (known: {string.Join(", ", runner.Names)})" };
        var restart = new Option<string?>("--restart") { Description = "Comma-separated stages to start afresh: their previous output in the run folder is deleted (needed when changing settings a stage cannot change on resume)" };
        var resumeFrom = new Option<string?>("--resume-from") { Description = "Checkpoint to resume from instead of the latest, e.g. step-00000150 (or train/step-00000150); later checkpoints are dropped" };
        var domain = new Option<string[]>("--domain")
        {
            Description = "With --stages branch: train only this domain's expert (repeatable, or a comma list); jobs for different domains may run at once on one run folder (cluster array tasks)",
            AllowMultipleArgumentsPerToken = false,
        };
        var parallel = new Option<int?>("--parallel") { Description = "Train the branch stage's experts (with --domain: those domains' experts) as N concurrent child processes (each --domain d), with max(1, cores/N) kernel threads each" };
        var command = new Command("run", "Run a profile's stages (settings overrides: --Section:Key=value, e.g. --Training:Steps=50)")
        {
            profile, runDir, stages, restart, resumeFrom, domain, parallel,
        };
        // Unmatched tokens are the settings overrides (--Model:Layers=4); they are checked by the configuration layer.
        command.TreatUnmatchedTokensAsErrors = false;
        command.SetAction((parse, ct) => Task.FromResult(CommandAction.Execute(env, parse.GetValue(verbose), () =>
            Run(env, runner, new Arguments(parse.GetValue(profile), parse.GetValue(runDir), parse.GetValue(stages), parse.GetValue(restart),
                parse.GetValue(resumeFrom), parse.UnmatchedTokens)
            {
                Domains = [.. (parse.GetValue(domain) ?? []).SelectMany(SplitList)],
                Parallel = parse.GetValue(parallel),
            }, ct))));
        return command;
    }

    /// <summary>Runs the stages; returns the exit code.</summary>
    public static int Run(CliEnvironment env, StageRunner runner, Arguments arguments, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(env);
        ArgumentNullException.ThrowIfNull(runner);
        ArgumentNullException.ThrowIfNull(arguments);
        var wall = Stopwatch.StartNew();
        var request = new ConfigurationRequest
        {
            Profile = arguments.Profile,
            HostDirectory = env.HostDirectory,
            WorkingDirectory = env.WorkingDirectory,
            Environment = env.Environment,
            Overrides = arguments.Overrides,
        };
        if (string.IsNullOrWhiteSpace(arguments.Profile) && string.IsNullOrWhiteSpace(env.Environment.GetValueOrDefault(LayeredConfiguration.ProfileVariable)))
            throw NoProfile(request);
        var layered = LayeredConfiguration.Build(request);

        // Every problem at once: settings, stage names, plugins and their options, command-line choices.
        var errors = new List<string>();
        var settings = HostSettings.Load(layered, errors);
        foreach (var notice in settings.Training.Notices()) env.Error.WriteLine($"pluginmoe: notice: {notice}");
        if (arguments.Stages is { Length: > 0 }) settings.Run.Stages = SplitList(arguments.Stages);
        if (arguments.RunDirectory is { Length: > 0 }) settings.Run.RunDirectory = arguments.RunDirectory;
        var selected = runner.Resolve(settings.Run.Stages, errors, arguments.Stages is { Length: > 0 } ? "--stages" : "Run:Stages");
        var restart = runner.Resolve(SplitList(arguments.Restart), errors, "--restart").Select(s => s.Name).ToList();
        foreach (var name in restart.Where(r => !selected.Any(s => s.Name == r)))
            errors.Add($"--restart: stage '{name}' is not among the stages this run runs ({string.Join(", ", selected.Select(s => s.Name))})");
        var resumeFrom = ResumeFrom(arguments.ResumeFrom, selected, restart, errors);
        CheckBranchJobs(arguments, selected, restart, errors);
        var plugins = env.Plugins(settings);
        var bound = new Dictionary<string, object?>();
        foreach (var stage in selected)
            foreach (var (key, value) in stage.Validate(settings.Profile, plugins, errors)) bound[key] = value;
        if (errors.Count > 0) throw new ConfigurationException(HostSettings.Describe(layered, errors.Distinct().ToList()));
        foreach (var failure in plugins.LoadFailures)
            env.Error.WriteLine($"pluginmoe: warning: {string.Join(" ", failure.Split('\n', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))}");

        var run = RunFolder.Open(settings.Run.RunDirectory, settings.Run.RunsRoot, settings.Run.Name ?? settings.ProfileName, env.Now(), env.WorkingDirectory);
        string resume = ResumeCommand(env, arguments, run.Path);
        var domains = arguments.Domains.Distinct(StringComparer.Ordinal).ToList();
        using var runLock = domains.Count > 0
            ? RunLock.AcquireDomains(run.Path, domains, resume, env.Environment.GetValueOrDefault(RunLock.ParentTokenVariable), forChildren: arguments.Parallel > 1)
            : RunLock.Acquire(run.Path, resume);
        var resolved = settings.ToResolvedJson(bound);
        resolved[RunOptions.SectionName]!["RunDirectory"] = run.Path;
        // Several seeds run one after another, each in its run folder seed-<s>/ (SeedRuns); every seed is planned (and
        // refused) before any runs. Planning and recording happen under the folder's bookkeeping lock: per-domain jobs
        // may start at the same time.
        var seeds = SeedRuns.Open(run, settings.Profile, resolved, env.Now(), env.WorkingDirectory);
        IReadOnlyList<IReadOnlyList<StagePlan>> plans = [];
        run.Bookkeeping(() =>
        {
            plans = [.. seeds.Select(s => StageRunner.Plan(selected, s.Run, s.Resolved, restart, resumeFrom))];
            if (seeds.Count > 1)
                RecordInvocation(run, resolved, [.. plans.SelectMany(p => p)], resume,
                    new JsonObject(seeds.Zip(plans).Select(sp => KeyValuePair.Create(SeedRuns.FolderName(sp.First.Seed), (JsonNode?)StageActions(sp.Second)))));
            foreach (var (seed, plan) in seeds.Zip(plans)) RecordInvocation(seed.Run, seed.Resolved, plan, resume);
        });
        env.Out.WriteLine($"run folder: {run.Path}");

        var progress = env.CreateProgress();
        var summary = new List<string>();
        var shared = new Dictionary<string, object>(StringComparer.Ordinal);
        int skipped = 0;
        bool acrossSeeds = false;
        // The stages run inside the generic host: its lifetime turns Ctrl+C / SIGTERM into cancellation, which the
        // train stage honours between steps by saving a checkpoint at the step it stopped at.
        using (var host = HostRuntime.Start(settings, env.HandleConsoleSignals, env.Out))
        using (var stopping = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, host.Services.GetRequiredService<IHostApplicationLifetime>().ApplicationStopping))
        // A per-domain job's spans and metrics go to its own folder: jobs of one run folder run at the same time.
        using (TelemetrySession.Start(domains.Count > 0 ? run.Job(BranchChildProcesses.JobName(domains)) : run.Path, settings.Telemetry))
        {
            try
            {
                foreach (var (seed, plan) in seeds.Zip(plans))
                {
                    if (seeds.Count > 1) progress.Info($"seed {seed.Seed}: {seed.Run.Path}");
                    var context = new StageContext(seed.Settings, seed.Run, plugins, progress)
                    {
                        ResumeFrom = resumeFrom,
                        Shared = shared,
                        Branch = BranchJobs(env, arguments, seed.Run.Path, domains, resume, runLock.Token),
                    };
                    skipped += StageRunner.Run(plan, context, stopping.Token).Count;
                    summary.AddRange(seeds.Count > 1 ? context.Summary.Select(l => $"seed {seed.Seed}: {l}") : context.Summary);
                }
            }
            catch (OperationCanceledException e) when (stopping.IsCancellationRequested)
            {
                var signal = host.Services.GetRequiredService<StopSignal>().Received ?? env.Stop.Received;
                string where = e switch
                {
                    RunCancelledException { Unit: { } unit } c =>
                        $"cancelled in stage '{c.Stage}' at step {c.Step} of {unit}; every finished output is kept, and {unit} is redone from its start on resume",
                    RunCancelledException c =>
                        $"cancelled at step {c.Step}; " + (c.CheckpointStep is { } m ? $"checkpoint at step {m}" : "no checkpoint (no step had finished)"),
                    _ => "cancelled before any step finished",
                };
                env.Error.WriteLine($"pluginmoe: {where}; resume with: {resume}");
                return signal == PosixSignal.SIGTERM ? ExitCodes.Terminated : ExitCodes.Interrupted;
            }
            // The report across the seeds: rewritten whenever a seed's stages ran, or when it is missing.
            if (seeds.Count > 1 && selected.Any(s => s is ReportStage) && (skipped < plans.Sum(p => p.Count) || !run.IsComplete("report")))
            {
                string report = ReportStage.WriteAcrossSeeds(run, [.. seeds.Select(s => (s.Seed, s.Run))], $"PluginMoE recipe: {settings.ProfileName}, {seeds.Count} seeds");
                progress.Info($"report across seeds: {report}");
                summary.Add($"report across {seeds.Count} seeds: {report}");
                acrossSeeds = true;
            }
            host.StopAsync(CancellationToken.None).GetAwaiter().GetResult();
        }
        if (skipped == plans.Sum(p => p.Count) && !acrossSeeds)
        {
            env.Out.WriteLine($"nothing to do: every stage was already complete in {run.Path}");
            return ExitCodes.Success;
        }
        env.Out.WriteLine(string.Create(CultureInfo.InvariantCulture, $"done: {run.Path} in {wall.Elapsed:h\\:mm\\:ss} (wall time)"));
        foreach (var line in summary) env.Out.WriteLine(line);
        return ExitCodes.Success;
    }

    /// <summary>The plugins folder beside the host, then the configured ones.</summary>
    public static IReadOnlyList<string> PluginDirectories(CliEnvironment env, HostSettings settings)
    {
        ArgumentNullException.ThrowIfNull(env);
        return env.PluginDirectories(settings);
    }

    /// <summary>
    /// The command that continues this run: the same profile, stages and overrides (and the PLUGINMOE_ environment
    /// variables that were set), with <c>--run-dir</c> naming the run folder, and without <c>--restart</c>/<c>--resume-from</c>.
    /// </summary>
    public static string ResumeCommand(CliEnvironment env, Arguments arguments, string runDirectory)
    {
        ArgumentNullException.ThrowIfNull(env);
        ArgumentNullException.ThrowIfNull(arguments);
        var words = new List<string>();
        foreach (var (key, value) in env.Environment.OrderBy(kv => kv.Key, StringComparer.Ordinal))
            if (value is not null && (key.StartsWith(LayeredConfiguration.EnvironmentPrefix, StringComparison.OrdinalIgnoreCase) || key == LayeredConfiguration.ProfileVariable))
                words.Add($"{key}={ShellQuote.Quote(value)}");
        words.Add(env.CommandName);
        words.Add("run");
        if (arguments.Profile is { Length: > 0 } p) words.AddRange(["--profile", ShellQuote.Quote(p)]);
        words.AddRange(["--run-dir", ShellQuote.Quote(runDirectory)]);
        if (arguments.Stages is { Length: > 0 } s) words.AddRange(["--stages", ShellQuote.Quote(s)]);
        if (arguments.Domains.Count > 0) words.AddRange(["--domain", ShellQuote.Quote(string.Join(",", arguments.Domains))]);
        if (arguments.Parallel is { } n) words.AddRange(["--parallel", n.ToString(CultureInfo.InvariantCulture)]);
        words.AddRange(arguments.Overrides.Select(ShellQuote.Quote));
        return string.Join(" ", words);
    }

    /// <summary>
    /// How to start this CLI again as a child process: the apphost itself, or the <c>dotnet</c> muxer with
    /// <c>pluginmoe.dll</c> (also when the CLI runs inside another process, such as a test host).
    /// </summary>
    public static IReadOnlyList<string> SelfLauncher()
    {
        string? process = Environment.ProcessPath;
        string name = Path.GetFileNameWithoutExtension(process ?? "");
        if (process is not null && name == "pluginmoe") return [process];
        string dotnet = name == "dotnet" ? process! : Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host ? host : "dotnet";
        return [dotnet, Path.Combine(AppContext.BaseDirectory, "pluginmoe.dll")];
    }

    // The branch stage's job settings: --domain, --parallel, and how a child (one domain's job) is started and written.
    private static BranchJobs BranchJobs(CliEnvironment env, Arguments arguments, string runDirectory, IReadOnlyList<string> domains, string command, string? token)
    {
        Arguments Child(string domain) => arguments with { Stages = BranchStage.StageName, Restart = null, ResumeFrom = null, Domains = [domain], Parallel = null };
        return new BranchJobs
        {
            Domains = domains,
            Parallel = arguments.Parallel ?? 1,
            Command = command,
            CommandFor = domain => ResumeCommand(env, Child(domain), runDirectory),
            Children = new BranchChildProcesses(domain =>
            {
                var launcher = SelfLauncher();
                var info = new ProcessStartInfo(launcher[0]) { WorkingDirectory = env.WorkingDirectory };
                foreach (var word in launcher.Skip(1)) info.ArgumentList.Add(word);
                var child = Child(domain);
                info.ArgumentList.Add("run");
                if (child.Profile is { Length: > 0 } p) { info.ArgumentList.Add("--profile"); info.ArgumentList.Add(p); }
                foreach (var word in new[] { "--run-dir", runDirectory, "--stages", BranchStage.StageName, "--domain", domain }) info.ArgumentList.Add(word);
                foreach (var word in child.Overrides) info.ArgumentList.Add(word);
                // The CLI's own settings variables, not those of the process around it (a test host, say).
                foreach (var key in info.Environment.Keys.Where(k => k.StartsWith("PLUGINMOE", StringComparison.OrdinalIgnoreCase)).ToList()) info.Environment.Remove(key);
                foreach (var (key, value) in env.Environment)
                    if (value is not null && (key.StartsWith(LayeredConfiguration.EnvironmentPrefix, StringComparison.OrdinalIgnoreCase) || key == LayeredConfiguration.ProfileVariable))
                        info.Environment[key] = value;
                if (token is not null) info.Environment[RunLock.ParentTokenVariable] = token;
                return info;
            }),
        };
    }

    // --domain trains single experts of the branch stage; --parallel trains the branch stage's experts (or those of
    // --domain) as child processes.
    private static void CheckBranchJobs(Arguments arguments, IReadOnlyList<IStage> selected, List<string> restart, List<string> errors)
    {
        string stages = string.Join(", ", selected.Select(s => s.Name));
        if (arguments.Domains.Count > 0)
        {
            if (selected.Count != 1 || selected[0].Name != BranchStage.StageName)
                errors.Add($"--domain: trains experts of the branch stage only; run it with --stages branch (this run's stages: {stages}), and the other stages in a job without --domain");
            if (restart.Count > 0)
                errors.Add("--domain: cannot be combined with --restart, which deletes the experts other jobs may be training; run --restart branch in one job without --domain, or delete branch/<domain> to train one expert again");
            foreach (var d in arguments.Domains.Where(d => d.IndexOfAny(['/', '\\']) >= 0 || d is "." or ".."))
                errors.Add($"--domain: '{d}' is not a domain name");
        }
        if (arguments.Parallel is { } n)
        {
            if (n < 1) errors.Add($"--parallel: value {n} is not allowed: give the number of child processes, 1 or more");
            if (!selected.Any(s => s.Name == BranchStage.StageName))
                errors.Add($"--parallel: runs the branch stage's experts as child processes, but this run's stages ({stages}) do not include branch");
        }
    }

    private static ConfigurationException NoProfile(ConfigurationRequest request)
    {
        var folders = ProfileLocator.SearchFolders(request);
        var known = folders.Where(Directory.Exists).SelectMany(f => Directory.GetFiles(f, "*.json"))
            .Select(Path.GetFileNameWithoutExtension).OfType<string>().Distinct().Order(StringComparer.Ordinal).ToList();
        string available = known.Count == 0
            ? $"no profiles were found in {string.Join(", ", folders.Select(f => $"'{f}'"))}"
            : $"available profiles: {string.Join(", ", known)}";
        return new ConfigurationException(
            $"run: no profile was given; pass --profile <name> ({available}) or a path to a .json file, or set {LayeredConfiguration.ProfileVariable}");
    }

    private static string[] SplitList(string? list) =>
        list is null ? [] : list.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);

    // --resume-from step-N applies to the only stage (or to a stage named as stage/step-N).
    private static Dictionary<string, string> ResumeFrom(string? value, IReadOnlyList<IStage> selected, List<string> restart, List<string> errors)
    {
        var result = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        if (string.IsNullOrWhiteSpace(value)) return result;
        // step-N, train/step-N, or a path such as runs/x/train/checkpoints/step-N: the stage is the segment that names one.
        var segments = value.Trim().Split(['/', Path.DirectorySeparatorChar], StringSplitOptions.RemoveEmptyEntries);
        if (segments.Length == 0)
        {
            errors.Add($"--resume-from: '{value}' names no checkpoint; pass one such as step-00000150");
            return result;
        }
        string checkpoint = segments[^1];
        string? named = segments[..^1].LastOrDefault(g => selected.Any(s => string.Equals(s.Name, g, StringComparison.OrdinalIgnoreCase)));
        string? stageName = named ?? (segments.Length == 2 ? segments[0] : selected.Count == 1 ? selected[0].Name : null);
        var stage = selected.FirstOrDefault(s => string.Equals(s.Name, stageName, StringComparison.OrdinalIgnoreCase));
        if (stage is null)
            errors.Add(stageName is null
                ? $"--resume-from: this run has several stages ({string.Join(", ", selected.Select(s => s.Name))}); name one, e.g. --resume-from {selected[0].Name}/{checkpoint}"
                : $"--resume-from: '{stageName}' is not among the stages this run runs ({string.Join(", ", selected.Select(s => s.Name))})");
        else if (restart.Contains(stage.Name))
            errors.Add($"--resume-from: stage '{stage.Name}' is also given to --restart, which deletes its checkpoints; use one of the two");
        else result[stage.Name] = checkpoint;
        return result;
    }

    // invocations.jsonl gets every invocation; config.resolved.json only the settings of one that runs a stage.
    private static void RecordInvocation(RunFolder run, JsonObject resolved, IReadOnlyList<StagePlan> plans, string command, JsonObject? stages = null)
    {
        var previous = run.ReadResolvedConfig();
        var changes = new JsonArray();
        if (previous is not null)
        {
            var before = StageSettings.From(previous, previous.Select(kv => kv.Key));
            foreach (var c in StageSettings.From(resolved, resolved.Select(kv => kv.Key)).ChangesFrom(before))
                changes.Add(new JsonObject { ["key"] = c.Key, ["stored"] = c.Stored, ["now"] = c.Current });
        }
        bool works = plans.Any(p => p.Action != StageAction.Skip);
        run.AppendInvocation(new JsonObject
        {
            ["utc"] = DateTimeOffset.UtcNow.ToString("O", CultureInfo.InvariantCulture),
            ["pid"] = Environment.ProcessId,
            ["resume_command"] = command,
            ["stages"] = stages ?? StageActions(plans),
            ["changed_settings"] = changes,
            ["config_written"] = works,
        });
        if (works) run.WriteResolvedConfig(resolved);
    }

    // What the invocation does with each stage: {"seed": "skip", "branch": "run", ...}.
    private static JsonObject StageActions(IReadOnlyList<StagePlan> plans) =>
        new(plans.Select(p => KeyValuePair.Create(p.Stage.Name, (JsonNode?)p.Action.ToString().ToLowerInvariant())));
}
