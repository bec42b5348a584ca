// Plugin discovery: every folder under each plugin directory is one plugin (loaded in its own context and MEF
// container, so one broken folder cannot break the others); a DLL dropped directly into a directory is one too.
namespace PluginMoE.Host.Plugins;

/// <summary>Builds a <see cref="PluginRegistry"/> from plugin directories.</summary>
public static class PluginLoader
{
    /// <summary>The default plugin directory: <c>plugins/</c> beside the host binary.</summary>
    public static string DefaultDirectory => Path.Combine(AppContext.BaseDirectory, "plugins");

    /// <summary>
    /// Discovers the plugins under <paramref name="pluginDirectories"/>. Never throws for a broken plugin: each
    /// problem is recorded in <see cref="PluginRegistry.Failures"/> and reported when that plugin is requested.
    /// Exports of the same kind and name found in two places are both withdrawn (and reported with both locations).
    /// </summary>
    public static PluginRegistry Load(IEnumerable<string> pluginDirectories)
    {
        ArgumentNullException.ThrowIfNull(pluginDirectories);
        var directories = pluginDirectories.Select(Path.GetFullPath).Distinct(StringComparer.Ordinal).ToList();
        var exports = new List<LoadedExport>();
        var failures = new List<PluginLoadFailure>();
        foreach (var directory in directories)
        {
            if (!Directory.Exists(directory))
            {
                failures.Add(new PluginLoadFailure(directory, "", "the plugin directory does not exist; create it or point the host at an existing one"));
                continue;
            }
            foreach (var folder in Directory.GetDirectories(directory).Order(StringComparer.Ordinal))
                Add(PluginFolderLoader.Load(folder, DllsIn(folder)));
            foreach (var loose in DllsIn(directory))
                Add(PluginFolderLoader.Load(directory, [loose]));
        }
        return new PluginRegistry(directories, WithoutDuplicates(exports, failures), failures);

        void Add((IReadOnlyList<LoadedExport> Exports, IReadOnlyList<PluginLoadFailure> Failures) folder)
        {
            exports.AddRange(folder.Exports);
            failures.AddRange(folder.Failures);
        }
    }

    private static List<string> DllsIn(string folder) =>
        [.. Directory.GetFiles(folder, "*.dll").Order(StringComparer.Ordinal)];

    /// <summary>Drops every name exported more than once for a kind; which copy to use is the user's decision, not ours.</summary>
    private static List<LoadedExport> WithoutDuplicates(List<LoadedExport> exports, List<PluginLoadFailure> failures)
    {
        var usable = new List<LoadedExport>();
        foreach (var group in exports.GroupBy(e => (e.Plugin.Kind, Name: e.Plugin.Name.ToLowerInvariant())))
        {
            var copies = group.ToList();
            if (copies.Count == 1)
            {
                usable.Add(copies[0]);
                continue;
            }
            var first = copies[0].Plugin;
            var others = string.Join(" and ", copies.Skip(1).Select(c => $"folder '{c.Plugin.SourceFolder}' (file {Path.GetFileName(c.Plugin.AssemblyPath)}, class {c.Plugin.TypeName})"));
            failures.Add(new PluginLoadFailure(first.SourceFolder, Path.GetFileName(first.AssemblyPath),
                $"the same name is also exported from {others}, so {(copies.Count == 2 ? "neither" : "none")} is used; " +
                "remove one of them from the plugin directories or rename one of the plugins",
                first.Name, first.Kind));
        }
        return usable;
    }
}
