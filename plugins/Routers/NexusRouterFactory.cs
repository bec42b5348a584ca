// The nexus router plugin's factory.
using PluginMoE.Abstractions.Composition;
using PluginMoE.Abstractions.Routing;

namespace PluginMoE.Plugins.Routers;

/// <summary>Creates <see cref="NexusRouter"/>s.</summary>
[ExportRouter(Name, Description = "Nexus adaptive router: expert embeddings projected from domain embeddings by a hypernetwork (arXiv 2408.15901)")]
public sealed class NexusRouterFactory : IRouterFactory
{
    /// <summary>The plugin name.</summary>
    public const string Name = "nexus";

    /// <inheritdoc/>
    public Type? OptionsType => typeof(NexusRouterOptions);

    /// <summary>1: the paper routes each token to its top-1 domain expert beside the always-on shared expert.</summary>
    public int DefaultTopK => 1;

    /// <inheritdoc/>
    public RouterModule Create(RouterSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        return new NexusRouter(spec, spec.OptionsAs<NexusRouterOptions>());
    }
}
