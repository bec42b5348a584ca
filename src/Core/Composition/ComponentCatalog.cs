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
    public object? BindOptions(IPluginFactory factory, JsonObject? options, string keyPath) =>
        OptionsBinder.Bind(factory, options, keyPath);

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
