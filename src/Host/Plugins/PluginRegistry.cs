// The discovered plugins and the failures, and lookup by kind and name with messages that say what would work.
// A name exported more than once is resolved here: Plugins:Prefer chooses a copy; otherwise a first-party plugin
// keeps its name against third-party copies, and two third-party copies are both refused. Every copy stays
// reachable by its qualified name, vendor/name.
using PluginMoE.Abstractions.Composition;
using PluginMoE.Core.Composition;

namespace PluginMoE.Host.Plugins;

/// <summary>What <see cref="PluginLoader.Load"/> found: usable plugins by kind and name, and load failures.</summary>
public sealed class PluginRegistry
{
    private readonly IReadOnlyList<LoadedExport> _all;
    private readonly IReadOnlyList<PluginLoadFailure> _loadFailures;
    private readonly Dictionary<(PluginKind, string), LoadedExport> _exports = [];
    private IComponentCatalog? _catalog;

    internal PluginRegistry(IReadOnlyList<string> directories, IReadOnlyList<LoadedExport> exports, IReadOnlyList<PluginLoadFailure> failures,
        IReadOnlyDictionary<string, string>? prefer = null)
    {
        Directories = directories;
        _all = exports;
        _loadFailures = failures;
        Preferences = prefer ?? new Dictionary<string, string>();
        var resolved = new List<PluginLoadFailure>(failures);
        foreach (var group in exports.GroupBy(e => (e.Plugin.Kind, Name: e.Plugin.Name.ToLowerInvariant())))
        {
            var chosen = PluginDuplicates.Choose([.. group], Preferences, resolved);
            if (chosen is not null) _exports[group.Key] = chosen;
        }
        Plugins = [.. _exports.Values.Select(e => e.Plugin).OrderBy(p => p.Kind).ThenBy(p => p.Name, StringComparer.Ordinal)];
        AllPlugins = [.. exports.Select(e => e.Plugin).OrderBy(p => p.Kind).ThenBy(p => p.Name, StringComparer.Ordinal).ThenBy(p => p.Vendor, StringComparer.Ordinal)];
        Failures = resolved;
    }

    /// <summary>The plugin directories that were searched (full paths).</summary>
    public IReadOnlyList<string> Directories { get; }

    /// <summary>Every plugin usable by its plain name, by kind then name (built-in ones included).</summary>
    public IReadOnlyList<DiscoveredPlugin> Plugins { get; }

    /// <summary>Every plugin export that was created, also the copies of a name that is not theirs to use (reachable as vendor/name).</summary>
    public IReadOnlyList<DiscoveredPlugin> AllPlugins { get; }

    /// <summary>Every folder, file or export that could not be used, with its reason.</summary>
    public IReadOnlyList<PluginLoadFailure> Failures { get; }

    /// <summary>The <c>Plugins:Prefer</c> choices this registry applied (plugin name to vendor or folder).</summary>
    public IReadOnlyDictionary<string, string> Preferences { get; }

    /// <summary>
    /// This registry with <paramref name="prefer"/> applied: for each plugin name it names the vendor (or the plugin
    /// folder, by path or folder name) whose copy is used when several plugins export that name.
    /// </summary>
    public PluginRegistry WithPreferences(IReadOnlyDictionary<string, string>? prefer) =>
        prefer is null || prefer.Count == 0 ? this : new PluginRegistry(Directories, _all, _loadFailures, prefer);

    /// <summary>Names of the usable plugins of <paramref name="kind"/>, sorted.</summary>
    public IReadOnlyList<string> Names(PluginKind kind) => [.. Plugins.Where(p => p.Kind == kind).Select(p => p.Name)];

    /// <summary>True when a usable plugin of <paramref name="kind"/> is named <paramref name="name"/> (case-insensitive; vendor/name works too).</summary>
    public bool Contains(PluginKind kind, string name) =>
        _exports.ContainsKey((kind, name.ToLowerInvariant())) || Qualified(kind, name).Count == 1;

    /// <summary>
    /// The plugin of <paramref name="kind"/> named <paramref name="name"/> (names compare case-insensitively); a qualified
    /// name <c>vendor/name</c> picks the copy of that vendor even when the plain name is refused or belongs to another copy.
    /// </summary>
    /// <typeparam name="T">The kind's contract (e.g. <c>IRouterFactory</c>) or a base of it.</typeparam>
    /// <exception cref="PluginNotFoundException">No usable or failed plugin has that name.</exception>
    /// <exception cref="PluginLoadException">A plugin of that name was found but failed to load.</exception>
    public T Get<T>(PluginKind kind, string name) where T : class
    {
        ArgumentNullException.ThrowIfNull(name);
        if (!PluginKinds.ContractType(kind).IsAssignableTo(typeof(T)))
            throw new ArgumentException($"{PluginKinds.Display(kind)} plugins implement {PluginKinds.ContractType(kind).Name}, not {typeof(T).Name}", nameof(T));
        if (_exports.TryGetValue((kind, name.ToLowerInvariant()), out var export)) return (T)export.Instance;
        if (name.Contains('/', StringComparison.Ordinal))
        {
            var matches = Qualified(kind, name);
            if (matches.Count == 1) return (T)matches[0].Instance;
            throw new PluginNotFoundException(kind, name, QualifiedMessage(kind, name, matches));
        }
        var failure = Failures.FirstOrDefault(f => f.Kind == kind && string.Equals(f.PluginName, name, StringComparison.OrdinalIgnoreCase));
        if (failure is not null) throw new PluginLoadException(kind, name, failure);
        throw new PluginNotFoundException(kind, name, NotFoundMessage(kind, name));
    }

    /// <summary>Core's view of the routers and experts (option binding included), for building models.</summary>
    public IComponentCatalog ToCatalog() => new RegistryCatalog(this);

    /// <summary>The same catalog as <see cref="ToCatalog"/>, created once (the stages' plugin-provider shape).</summary>
    public IComponentCatalog Catalog => _catalog ??= ToCatalog();

    private List<LoadedExport> Qualified(PluginKind kind, string qualified)
    {
        int slash = qualified.LastIndexOf('/');
        if (slash <= 0 || slash == qualified.Length - 1) return [];
        string vendor = qualified[..slash], name = qualified[(slash + 1)..];
        return [.. _all.Where(e => e.Plugin.Kind == kind && string.Equals(e.Plugin.Name, name, StringComparison.OrdinalIgnoreCase)
            && string.Equals(e.Plugin.Vendor, vendor, StringComparison.OrdinalIgnoreCase))];
    }

    private string QualifiedMessage(PluginKind kind, string qualified, List<LoadedExport> matches)
    {
        string name = qualified[(qualified.LastIndexOf('/') + 1)..];
        var copies = _all.Where(e => e.Plugin.Kind == kind && string.Equals(e.Plugin.Name, name, StringComparison.OrdinalIgnoreCase)).ToList();
        if (matches.Count > 1)
            return $"{PluginKinds.Display(kind)} plugin '{qualified}' is ambiguous: {matches.Count} plugins of vendor '{matches[0].Plugin.Vendor}' export '{name}' " +
                $"(folders {string.Join(", ", matches.Select(m => $"'{m.Plugin.SourceFolder}'"))}); choose one with Plugins:Prefer:{name}=<folder> and select it as '{name}'";
        string available = copies.Count == 0
            ? $"no plugin exports a {PluginKinds.Display(kind)} named '{name}'"
            : $"the {PluginKinds.Display(kind)} plugins named '{name}' are {string.Join(", ", copies.Select(c => $"'{c.Plugin.QualifiedName}'"))}";
        return $"unknown {PluginKinds.Display(kind)} plugin '{qualified}': {available} (a qualified name is vendor/name, with the vendor `pluginmoe plugins list` shows). " +
            $"Plugin directories searched: {string.Join(", ", Directories)}.";
    }

    private string NotFoundMessage(PluginKind kind, string name)
    {
        var names = Names(kind);
        var available = names.Count == 0 ? "none are installed" : "available: " + string.Join(", ", names);
        var closest = NameSuggestions.Closest(name, names);
        var message = $"unknown {PluginKinds.Display(kind)} plugin '{name}' ({available})" +
            (closest is null ? "" : $"; did you mean '{closest}'?") +
            $" Plugin directories searched: {string.Join(", ", Directories)}.";
        // A file that failed as a whole may have been the plugin the profile wanted.
        var broken = Failures.Where(f => f.PluginName is null && f.File.Length > 0).ToList();
        if (broken.Count > 0)
            message += $" {broken.Count} plugin file(s) failed to load and may provide it: " + string.Join(" ", broken.Select(f => f.Message));
        return message;
    }
}
