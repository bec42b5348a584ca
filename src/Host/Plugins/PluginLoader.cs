// Plugin discovery: every folder under each plugin directory is one plugin (loaded in its own context and MEF
// container, so one broken folder cannot break the others); a DLL dropped directly into a directory is one too.
// The plugins built into the host (Core's byte tokenizer) are listed beside them.
namespace PluginMoE.Host.Plugins;

/// <summary>Builds a <see cref="PluginRegistry"/> from plugin directories.</summary>
public static class PluginLoader
{
    /// <summary>The default plugin directory: <c>plugins/</c> beside the host binary.</summary>
    public static string DefaultDirectory => Path.Combine(AppContext.BaseDirectory, "plugins");

    /// <summary>
    /// Discovers the plugins under <paramref name="pluginDirectories"/> and the plugins built into the host. Never
    /// throws for a broken plugin: each problem is recorded in <see cref="PluginRegistry.Failures"/> and reported when
    /// that plugin is requested. A name exported by several plugins is resolved by <see cref="PluginRegistry"/>: a
    /// first-party plugin keeps it, two third-party plugins are both withdrawn (reported with both locations) unless
    /// <see cref="PluginRegistry.WithPreferences"/> chooses, and every copy remains selectable as vendor/name.
    /// </summary>
    /// <param name="pluginDirectories">Directories holding one folder per plugin.</param>
    /// <param name="firstPartyDirectory">The directory of the plugins shipped with the host (default: <see cref="DefaultDirectory"/>).</param>
    public static PluginRegistry Load(IEnumerable<string> pluginDirectories, string? firstPartyDirectory = null)
    {
        ArgumentNullException.ThrowIfNull(pluginDirectories);
        var directories = pluginDirectories.Select(Path.GetFullPath).Distinct(StringComparer.Ordinal).ToList();
        string firstParty = Path.TrimEndingDirectorySeparator(Path.GetFullPath(firstPartyDirectory ?? DefaultDirectory));
        var exports = new List<LoadedExport>();
        var failures = new List<PluginLoadFailure>();
        Add(PluginFolderLoader.LoadBuiltIn(typeof(PluginMoE.Core.Text.ByteTokenizer).Assembly));
        foreach (var directory in directories)
        {
            if (!Directory.Exists(directory))
            {
                failures.Add(new PluginLoadFailure(directory, "", "the plugin directory does not exist; create it or point the host at an existing one"));
                continue;
            }
            bool shipped = string.Equals(Path.TrimEndingDirectorySeparator(directory), firstParty, StringComparison.Ordinal);
            foreach (var folder in Directory.GetDirectories(directory).Order(StringComparer.Ordinal))
                Add(PluginFolderLoader.Load(folder, DllsIn(folder), shipped));
            foreach (var loose in DllsIn(directory))
                Add(PluginFolderLoader.Load(directory, [loose], shipped));
        }
        return new PluginRegistry(directories, exports, failures);

        void Add((IReadOnlyList<LoadedExport> Exports, IReadOnlyList<PluginLoadFailure> Failures) folder)
        {
            exports.AddRange(folder.Exports);
            failures.AddRange(folder.Failures);
        }
    }

    private static List<string> DllsIn(string folder) =>
        [.. Directory.GetFiles(folder, "*.dll").Order(StringComparer.Ordinal)];
}
