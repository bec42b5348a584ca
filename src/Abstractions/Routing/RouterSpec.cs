// What a router factory is given: plain values, the plugin's bound options, and a way to build
// inner routers (so that wrappers such as multi-head routing compose with any router).
using PluginMoE.Tensors;

namespace PluginMoE.Abstractions.Routing;

/// <summary>Everything a router needs to build itself.</summary>
/// <param name="ModelDim">Width of the tokens the router receives (d, or d/h inside multi-head routing).</param>
/// <param name="NumExperts">Number of routed experts n.</param>
/// <param name="TopK">Experts per token k.</param>
public sealed record RouterSpec(int ModelDim, int NumExperts, int TopK)
{
    /// <summary>The plugin's options (an instance of its factory's <c>OptionsType</c>, bound and validated by the host), or null.</summary>
    public object? Options { get; init; }

    /// <summary>Fixed per-expert domain embeddings (n, m) for routers that use them (Nexus); null otherwise.</summary>
    public Tensor? DomainEmbeddings { get; init; }

    /// <summary>Random source for parameter initialisation (seeded by the host for reproducible runs).</summary>
    public Generator Generator { get; init; } = new(0);

    /// <summary>Parameter element type.</summary>
    public ScalarType DType { get; init; } = ScalarType.Float32;

    /// <summary>Builds another router by plugin name (used by wrapper routers such as <c>multi-head</c>); null outside the host.</summary>
    public IRouterResolver? Routers { get; init; }

    /// <summary>The options cast to the plugin's type, or a new default instance when none were given.</summary>
    public T OptionsAs<T>() where T : class, new() => Options switch
    {
        null => new T(),
        T t => t,
        var o => throw new ArgumentException($"router options are {o.GetType().Name}, expected {typeof(T).Name}"),
    };
}

/// <summary>Creates routers by plugin name (the host implements it over the discovered plugins).</summary>
public interface IRouterResolver
{
    /// <summary>
    /// Builds router plugin <paramref name="name"/> from <paramref name="spec"/>. Its Options are the inner router's bound
    /// options (a wrapper passes <see cref="Composition.NestedPluginOptions.ForSpec"/>, bound with its own options), or a
    /// JSON object, which the host binds to the plugin's options type, or null for the plugin's defaults.
    /// </summary>
    RouterModule Create(string name, RouterSpec spec);
}
