// The discovered plugins and the failures, and lookup by kind and name with messages that say what would work.
using PluginMoE.Abstractions.Composition;
using PluginMoE.Core.Composition;

namespace PluginMoE.Host.Plugins;

/// <summary>What <see cref="PluginLoader.Load"/> found: usable plugins by kind and name, and load failures.</summary>
public sealed class PluginRegistry
{
    private readonly Dictionary<(PluginKind, string), LoadedExport> _exports = [];
    private IComponentCatalog? _catalog;

    internal PluginRegistry(IReadOnlyList<string> directories, IEnumerable<LoadedExport> exports, IReadOnlyList<PluginLoadFailure> failures)
    {
        Directories = directories;
        foreach (var e in exports) _exports[(e.Plugin.Kind, e.Plugin.Name.ToLowerInvariant())] = e;
        Plugins = [.. _exports.Values.Select(e => e.Plugin).OrderBy(p => p.Kind).ThenBy(p => p.Name, StringComparer.Ordinal)];
        Failures = failures;
    }

    /// <summary>The plugin directories that were searched (full paths).</summary>
    public IReadOnlyList<string> Directories { get; }

    /// <summary>Every usable plugin, by kind then name.</summary>
    public IReadOnlyList<DiscoveredPlugin> Plugins { get; }

    /// <summary>Every folder, file or export that could not be used, with its reason.</summary>
    public IReadOnlyList<PluginLoadFailure> Failures { get; }

    /// <summary>Names of the usable plugins of <paramref name="kind"/>, sorted.</summary>
    public IReadOnlyList<string> Names(PluginKind kind) => [.. Plugins.Where(p => p.Kind == kind).Select(p => p.Name)];

    /// <summary>True when a usable plugin of <paramref name="kind"/> is named <paramref name="name"/> (case-insensitive).</summary>
    public bool Contains(PluginKind kind, string name) => _exports.ContainsKey((kind, name.ToLowerInvariant()));

    /// <summary>The plugin of <paramref name="kind"/> named <paramref name="name"/> (names compare case-insensitively).</summary>
    /// <typeparam name="T">The kind's contract (e.g. <c>IRouterFactory</c>) or a base of it.</typeparam>
    /// <exception cref="PluginNotFoundException">No usable or failed plugin has that name.</exception>
    /// <exception cref="PluginLoadException">A plugin of that name was found but failed to load.</exception>
    public T Get<T>(PluginKind kind, string name) where T : class
    {
        ArgumentNullException.ThrowIfNull(name);
        if (!PluginKinds.ContractType(kind).IsAssignableTo(typeof(T)))
            throw new ArgumentException($"{PluginKinds.Display(kind)} plugins implement {PluginKinds.ContractType(kind).Name}, not {typeof(T).Name}", nameof(T));
        if (_exports.TryGetValue((kind, name.ToLowerInvariant()), out var export)) return (T)export.Instance;
        var failure = Failures.FirstOrDefault(f => f.Kind == kind && string.Equals(f.PluginName, name, StringComparison.OrdinalIgnoreCase));
        if (failure is not null) throw new PluginLoadException(kind, name, failure);
        throw new PluginNotFoundException(kind, name, NotFoundMessage(kind, name));
    }

    /// <summary>Core's view of the routers and experts (option binding included), for building models.</summary>
    public IComponentCatalog ToCatalog() => new RegistryCatalog(this);

    /// <summary>The same catalog as <see cref="ToCatalog"/>, created once (the stages' plugin-provider shape).</summary>
    public IComponentCatalog Catalog => _catalog ??= ToCatalog();

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
