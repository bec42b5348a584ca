// `pluginmoe plugins list`: every plugin kind, each with its plugins (built-in, first-party and discovered: name,
// vendor, version, contract, description, folder; "(none installed)" for an empty kind), then every load failure
// with its reason. Plugin directories and Plugins:Prefer come from the settings (--profile and overrides apply).
using System.CommandLine;
using PluginMoE.Host.Configuration;
using PluginMoE.Host.Plugins;

namespace PluginMoE.Host.Cli;

/// <summary>The <c>plugins</c> command group.</summary>
public static class PluginsCommand
{
    /// <summary>Builds <c>plugins list</c>.</summary>
    public static Command Create(CliEnvironment env, Option<bool> verbose)
    {
        ArgumentNullException.ThrowIfNull(env);
        var profile = new Option<string?>("--profile", "-p") { Description = "Profile whose Plugins:Directories are searched too" };
        var list = new Command("list", "List discovered plugins and plugin load failures (settings overrides such as --Plugins:Directories:0=DIR apply)") { profile };
        list.TreatUnmatchedTokensAsErrors = false;
        list.SetAction((parse, _) => Task.FromResult(CommandAction.Execute(env, parse.GetValue(verbose), () =>
        {
            var settings = HostSettings.Load(LayeredConfiguration.Build(new ConfigurationRequest
            {
                Profile = parse.GetValue(profile),
                HostDirectory = env.HostDirectory,
                WorkingDirectory = env.WorkingDirectory,
                Environment = env.Environment,
                Overrides = parse.UnmatchedTokens,
            }));
            Write(env.Out, env.Registry(settings));
            return ExitCodes.Success;
        })));
        return new Command("plugins", "Inspect plugins") { list };
    }

    /// <summary>Writes the registry as an aligned table (every kind, in order) followed by the failures.</summary>
    public static void Write(TextWriter output, PluginRegistry registry)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(registry);
        output.WriteLine($"plugin directories: {string.Join(", ", registry.Directories)}");
        var rows = new List<string[]> { new[] { "KIND", "NAME", "VENDOR", "VERSION", "CONTRACT", "DESCRIPTION", "FOLDER" } };
        var usable = registry.Plugins.ToHashSet();
        foreach (var kind in PluginKinds.All)
        {
            var plugins = registry.AllPlugins.Where(p => p.Kind == kind).ToList();
            if (plugins.Count == 0) rows.Add([PluginKinds.Display(kind), "(none installed)", "", "", "", "", ""]);
            // A copy that does not own its plain name is listed by the name that selects it (vendor/name).
            rows.AddRange(plugins.Select(p => new[]
            {
                PluginKinds.Display(p.Kind), usable.Contains(p) ? p.Name : p.QualifiedName, p.Vendor, p.Version, p.ContractVersion, p.Description, p.SourceFolder,
            }));
        }
        int columns = rows[0].Length;
        var widths = Enumerable.Range(0, columns).Select(i => rows.Max(r => r[i].Length)).ToArray();
        foreach (var row in rows)
            output.WriteLine(string.Join("  ", row.Select((cell, i) => i == row.Length - 1 ? cell : cell.PadRight(widths[i]))).TrimEnd());
        output.WriteLine(registry.Failures.Count == 0 ? "no load failures" : $"{registry.Failures.Count} load failure(s):");
        foreach (var failure in registry.Failures) output.WriteLine($"  {failure.Message}");
    }
}
