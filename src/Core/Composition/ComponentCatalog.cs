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
        var closest = Closest(name, names);
        var hint = closest is null ? "" : $"; did you mean '{closest}'?";
        throw new KeyNotFoundException($"unknown {kind} plugin '{name}' ({available}){hint}");
    }

    /// <summary>The candidate with the smallest edit distance to <paramref name="name"/>, if it is reasonably close.</summary>
    internal static string? Closest(string name, IEnumerable<string> candidates)
    {
        string? best = null;
        int bestDistance = int.MaxValue;
        foreach (var c in candidates)
        {
            int d = EditDistance(name.ToLowerInvariant(), c.ToLowerInvariant());
            if (d < bestDistance) (best, bestDistance) = (c, d);
        }
        // Suggest only when at most about half the letters differ; otherwise the hint misleads.
        return best is not null && bestDistance <= Math.Max(2, Math.Max(name.Length, best.Length) / 2) ? best : null;
    }

    private static int EditDistance(string a, string b)
    {
        var prev = new int[b.Length + 1];
        var cur = new int[b.Length + 1];
        for (int j = 0; j <= b.Length; j++) prev[j] = j;
        for (int i = 1; i <= a.Length; i++)
        {
            cur[0] = i;
            for (int j = 1; j <= b.Length; j++)
                cur[j] = Math.Min(Math.Min(prev[j] + 1, cur[j - 1] + 1), prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1));
            (prev, cur) = (cur, prev);
        }
        return prev[b.Length];
    }
}
