// Which copy of a plugin name exported by several plugins is used: the one Plugins:Prefer names (by vendor or
// plugin folder); else a first-party plugin keeps its name and third-party copies are reachable as vendor/name
// only; else (two third-party copies) none is used, and the failure says how to choose.

namespace PluginMoE.Host.Plugins;

/// <summary>Resolves names exported more than once.</summary>
internal static class PluginDuplicates
{
    /// <summary>The copy of <paramref name="copies"/> (same kind and name) used under the plain name, or null; notes each refusal in <paramref name="failures"/>.</summary>
    public static LoadedExport? Choose(IReadOnlyList<LoadedExport> copies, IReadOnlyDictionary<string, string> prefer, List<PluginLoadFailure> failures)
    {
        if (copies.Count == 1) return copies[0];
        var first = copies[0].Plugin;
        string name = first.Name, kind = PluginKinds.Display(first.Kind);
        var preferred = prefer.FirstOrDefault(kv => string.Equals(kv.Key, name, StringComparison.OrdinalIgnoreCase));
        if (preferred.Key is not null)
        {
            var matches = copies.Where(c => Matches(c.Plugin, preferred.Value)).ToList();
            if (matches.Count == 1) return matches[0];
            failures.Add(Failure(first,
                $"Plugins:Prefer:{preferred.Key} is '{preferred.Value}', which matches {(matches.Count == 0 ? "none" : matches.Count.ToString(System.Globalization.CultureInfo.InvariantCulture))} " +
                $"of the {copies.Count} plugins exporting this name ({Describe(copies)}), so none is used; set it to one vendor or plugin folder"));
            return null;
        }
        var firstParty = copies.Where(c => c.Plugin.FirstParty).ToList();
        if (firstParty.Count == 1)
        {
            foreach (var other in copies.Where(c => !c.Plugin.FirstParty))
                failures.Add(Failure(other.Plugin,
                    $"exports the name of the first-party {kind} '{name}', which keeps it; to use this one instead, select it as '{other.Plugin.QualifiedName}' " +
                    $"or set Plugins:Prefer:{name}={other.Plugin.Vendor}"));
            return firstParty[0];
        }
        var others = string.Join(" and ", copies.Skip(1).Select(c => $"folder '{c.Plugin.SourceFolder}' (file {Path.GetFileName(c.Plugin.AssemblyPath)}, class {c.Plugin.TypeName})"));
        var qualified = copies.Select(c => c.Plugin.QualifiedName).Distinct(StringComparer.OrdinalIgnoreCase).ToList();
        string select = qualified.Count == copies.Count ? $", or select one by its qualified name ({string.Join(" or ", qualified.Select(q => $"'{q}'"))})" : "";
        failures.Add(Failure(first,
            $"the same name is also exported from {others}, so {(copies.Count == 2 ? "neither" : "none")} is used; " +
            $"choose one with Plugins:Prefer:{name} set to its vendor or plugin folder (e.g. Plugins:Prefer:{name}={Path.GetFileName(first.SourceFolder)})" +
            $"{select}, or remove one of them from the plugin directories"));
        return null;
    }

    /// <summary>True when <paramref name="choice"/> is the plugin's vendor, its folder (full path) or its folder's name.</summary>
    private static bool Matches(DiscoveredPlugin plugin, string choice) =>
        string.Equals(plugin.Vendor, choice, StringComparison.OrdinalIgnoreCase)
        || string.Equals(Path.TrimEndingDirectorySeparator(plugin.SourceFolder), Path.TrimEndingDirectorySeparator(Path.GetFullPath(choice)), StringComparison.Ordinal)
        || string.Equals(Path.GetFileName(plugin.SourceFolder), choice, StringComparison.Ordinal);

    private static string Describe(IReadOnlyList<LoadedExport> copies) =>
        string.Join(", ", copies.Select(c => $"'{c.Plugin.QualifiedName}' in folder '{c.Plugin.SourceFolder}'"));

    private static PluginLoadFailure Failure(DiscoveredPlugin plugin, string reason) =>
        new(plugin.SourceFolder, Path.GetFileName(plugin.AssemblyPath), reason, plugin.Name, plugin.Kind);
}
