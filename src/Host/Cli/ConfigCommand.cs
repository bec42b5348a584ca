// `pluginmoe config [--profile P] [--Section:Key=value ...]`: prints the settings a run with the same profile,
// PLUGINMOE__ variables and overrides would use, as JSON (every section with its defaults filled in, the form of
// a run folder's config.resolved.json), after checking them; the profile files it was built from, and what each training
// stage (and variant) trains with where its own Training section changes it, go to stderr.
using System.CommandLine;
using System.Text.Json;
using PluginMoE.Core.Composition;
using PluginMoE.Host.Configuration;

namespace PluginMoE.Host.Cli;

/// <summary>The <c>config</c> command.</summary>
public static class ConfigCommand
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    /// <summary>Builds the command.</summary>
    public static Command Create(CliEnvironment env, Option<bool> verbose, PluginMoE.Core.Recipe.Stages.StageRunner runner)
    {
        ArgumentNullException.ThrowIfNull(env);
        ArgumentNullException.ThrowIfNull(runner);
        var profile = new Option<string?>("--profile", "-p") { Description = $"Profile name (profiles/<name>.json) or path to a .json file; default: ${LayeredConfiguration.ProfileVariable}, else the defaults alone" };
        var command = new Command("config", "Print the resolved settings of a profile with its defaults, PLUGINMOE__ variables and --Section:Key=value overrides (as config.resolved.json records them)")
        {
            profile,
        };
        command.TreatUnmatchedTokensAsErrors = false;
        command.SetAction((parse, _) => Task.FromResult(CommandAction.Execute(env, parse.GetValue(verbose), () =>
        {
            var layered = LayeredConfiguration.Build(new ConfigurationRequest
            {
                Profile = parse.GetValue(profile),
                HostDirectory = env.HostDirectory,
                WorkingDirectory = env.WorkingDirectory,
                Environment = env.Environment,
                Overrides = parse.UnmatchedTokens,
            });
            // The settings are checked as `run` checks them (an error, exit 2); the stages' checks (plugin names and options,
            // data files) are printed as warnings, since the data a run needs may be absent where the settings are inspected.
            var errors = new List<string>();
            var settings = HostSettings.Load(layered, errors);
            if (errors.Count > 0) throw new ConfigurationException(HostSettings.Describe(layered, errors.Distinct().ToList()));
            var checks = new List<string>();
            var selected = runner.Resolve(settings.Run.Stages, checks, "Run:Stages");
            var plugins = env.Plugins(settings);
            foreach (var stage in selected) stage.Validate(settings.Profile, plugins, checks);
            foreach (var check in checks.Distinct())
                env.Error.WriteLine($"pluginmoe: warning: run would refuse this: {CommandAction.OneParagraph(check)}");
            foreach (var file in layered.ProfileFiles) env.Error.WriteLine($"profile file: {file}");
            foreach (var (key, file) in layered.RemovedKeys) env.Error.WriteLine($"removed with null: {key} (in {file})");
            // The effective training settings of each training stage (and variant with its own section), beside the JSON.
            foreach (var line in PluginMoE.Core.Recipe.Settings.StageTraining.Describe(settings.Profile)) env.Error.WriteLine(line);
            env.Out.WriteLine(settings.ToResolvedJson().ToJsonString(Indented));
            return ExitCodes.Success;
        })));
        return command;
    }
}
