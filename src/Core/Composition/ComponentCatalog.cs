// A dictionary-based component catalog: names to factories, with helpful errors for unknown names.
using System.Text.Json.Nodes;
using PluginMoE.Abstractions.Composition;
using PluginMoE.Abstractions.Experts;
using PluginMoE.Abstractions.Routing;

namespace PluginMoE.Core.Composition;

/// <summary>An <see cref="IComponentCatalog"/> over explicit name-to-factory maps (names compare case-insensitively).</summary>
public sealed class ComponentCatalog : IComponentCatalog
{
    private readonly Dictionary<string, IRouterFactory> _routers = new(StringComparer.OrdinalIgnoreCase);
    private readonly Dictionary<string, IExpertFactory> _experts = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Names of the registered routers, sorted.</summary>
    public IReadOnlyList<string> RouterNames => [.. _routers.Keys.Order(StringComparer.Ordinal)];

    /// <summary>Names of the registered experts, sorted.</summary>
    public IReadOnlyList<string> ExpertNames => [.. _experts.Keys.Order(StringComparer.Ordinal)];

    /// <summary>Registers (or replaces) router <paramref name="name"/>; returns this for chaining.</summary>
    public ComponentCatalog AddRouter(string name, IRouterFactory factory)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(factory);
        _routers[name] = factory;
        return this;
    }

    /// <summary>Registers (or replaces) expert <paramref name="name"/>; returns this for chaining.</summary>
    public ComponentCatalog AddExpert(string name, IExpertFactory factory)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(factory);
        _experts[name] = factory;
        return this;
    }

    /// <inheritdoc/>
    public IRouterFactory Router(string name) => Find(_routers, name, "router");

    /// <inheritdoc/>
    public IExpertFactory Expert(string name) => Find(_experts, name, "expert");

    /// <inheritdoc/>
    public object? BindOptions(IPluginFactory factory, JsonObject? options, string keyPath) => BindOptions(this, factory, options, keyPath);

    /// <summary>
    /// Binds <paramref name="options"/> as <see cref="IComponentCatalog.BindOptions"/> describes, resolving the inner plugins of
    /// nested options (<see cref="PluginOptionsOfAttribute"/>) through <paramref name="plugins"/>: for catalogs of other kinds
    /// (the host's plugin registry) that bind exactly as this one does.
    /// </summary>
    /// <param name="plugins">Where inner router and expert plugins are looked up.</param>
    /// <param name="factory">The plugin whose options are bound.</param>
    /// <param name="options">The options as JSON, or null.</param>
    /// <param name="keyPath">Where the options came from, for error messages.</param>
    /// <exception cref="ArgumentException">Options the plugin (or an inner plugin) rejects, or an unknown inner plugin; one line per problem.</exception>
    public static object? BindOptions(IComponentCatalog plugins, IPluginFactory factory, JsonObject? options, string keyPath)
    {
        ArgumentNullException.ThrowIfNull(plugins);
        return OptionsBinder.Bind(factory, options, keyPath, (kind, name) => kind switch
        {
            PluginKind.Router => plugins.Router(name),
            PluginKind.Expert => plugins.Expert(name),
            _ => throw new InvalidOperationException($"nested options of a {kind} plugin are not supported (routers and experts only)"),
        });
    }

    private static T Find<T>(Dictionary<string, T> map, string name, string kind)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (map.TryGetValue(name, out var f)) return f;
        var names = map.Keys.Order(StringComparer.Ordinal).ToList();
        var available = names.Count == 0 ? "none are registered" : "available: " + string.Join(", ", names);
        var closest = NameSuggestions.Closest(name, names);
        var hint = closest is null ? "" : $"; did you mean '{closest}'?";
        throw new KeyNotFoundException($"unknown {kind} plugin '{name}' ({available}){hint}");
    }
}
