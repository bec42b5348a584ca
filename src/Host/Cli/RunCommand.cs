// `pluginmoe run --profile <name> [--run-dir DIR] [--stages a,b] [--Section:Key=value ...]`: loads and
// validates the layered configuration, checks every stage's plugins, then runs the stages into the run folder.
using System.CommandLine;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using PluginMoE.Host.Configuration;
using PluginMoE.Host.Stages;
using PluginMoE.Host.Telemetry;

namespace PluginMoE.Host.Cli;

/// <summary>The <c>run</c> command.</summary>
public static class RunCommand
{
    /// <summary>Builds the command.</summary>
    public static Command Create(CliEnvironment env, Option<bool> verbose, StageRunner runner)
    {
        ArgumentNullException.ThrowIfNull(env);
        var profile = new Option<string?>("--profile", "-p") { Description = $"Profile name (profiles/<name>.json) or path to a .json file; default: ${LayeredConfiguration.ProfileVariable}" };
        var runDir = new Option<string?>("--run-dir") { Description = "Run folder to create or resume (default: runs/<profile>-<utc-timestamp>Z)" };
        var stages = new Option<string?>("--stages") { Description = $"Comma-separated stages to run instead of the profile's Run:Stages (known: {string.Join(", ", runner.Names)})" };
        var command = new Command("run", "Run a profile's stages (settings overrides: --Section:Key=value, e.g. --Training:Steps=50)")
        {
            profile, runDir, stages,
        };
        // Unmatched tokens are the settings overrides (--Model:Layers=4); they are checked by the configuration layer.
        command.TreatUnmatchedTokensAsErrors = false;
        command.SetAction((parse, ct) => Task.FromResult(CommandAction.Execute(env, parse.GetValue(verbose), () =>
            Run(env, runner, parse.GetValue(profile), parse.GetValue(runDir), parse.GetValue(stages), parse.UnmatchedTokens, ct))));
        return command;
    }

    /// <summary>Runs the stages; returns the exit code.</summary>
    public static int Run(CliEnvironment env, StageRunner runner, string? profile, string? runDir, string? stages,
        IReadOnlyList<string> overrides, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(env);
        ArgumentNullException.ThrowIfNull(runner);
        var layered = LayeredConfiguration.Build(new ConfigurationRequest
        {
            Profile = profile,
            HostDirectory = env.HostDirectory,
            WorkingDirectory = env.WorkingDirectory,
            Environment = env.Environment,
            Overrides = overrides,
        });
        var settings = HostSettings.Load(layered);
        foreach (var notice in settings.Training.Notices()) env.Error.WriteLine($"pluginmoe: notice: {notice}");
        if (stages is { Length: > 0 }) settings.Run.Stages = stages.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        if (runDir is { Length: > 0 }) settings.Run.RunDirectory = runDir;
        var selected = runner.Resolve(settings.Run.Stages);

        var plugins = env.Plugins(settings);
        var bound = new Dictionary<string, object?>();
        foreach (var stage in selected)
            foreach (var (key, value) in stage.Validate(settings, plugins)) bound[key] = value;

        var run = RunFolder.Open(settings.Run.RunDirectory, settings.Run.RunsRoot, settings.Run.Name ?? settings.ProfileName, env.Now(), env.WorkingDirectory);
        var resolved = settings.ToResolvedJson(bound);
        resolved[RunOptions.SectionName]!["RunDirectory"] = run.Path;
        run.WriteResolvedConfig(resolved);
        env.Out.WriteLine($"run folder: {run.Path}");

        var progress = env.CreateProgress();
        IReadOnlyList<string> skipped;
        // The stages run inside the generic host: its console lifetime turns Ctrl+C / SIGTERM into cancellation,
        // which the trainer honours between steps (the last checkpoint is kept, and re-running resumes).
        using (var host = HostRuntime.Start(settings, env.HandleConsoleSignals))
        using (var stopping = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, host.Services.GetRequiredService<IHostApplicationLifetime>().ApplicationStopping))
        using (TelemetrySession.Start(run.Path, settings.Telemetry))
        {
            skipped = StageRunner.Run(selected, new StageContext(settings, run, plugins, progress), stopping.Token);
            host.StopAsync(CancellationToken.None).GetAwaiter().GetResult();
        }
        env.Out.WriteLine(skipped.Count == selected.Count
            ? $"nothing to do: every stage was already complete in {run.Path}"
            : $"done: {run.Path}");
        return ExitCodes.Success;
    }

    /// <summary>The plugins folder beside the host, then the configured ones.</summary>
    public static IReadOnlyList<string> PluginDirectories(CliEnvironment env, HostSettings settings)
    {
        ArgumentNullException.ThrowIfNull(env);
        return env.PluginDirectories(settings);
    }

}
