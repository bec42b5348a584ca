// The exported factory: this attribute is all the host needs to find the router.
using PluginMoE.Abstractions.Composition;
using PluginMoE.Abstractions.Routing;

namespace ThirdPartyRouter;

/// <summary>Creates <see cref="LshRouter"/>s; profiles select it with <c>"Router": "lsh"</c>.</summary>
[ExportRouter("lsh", Description = "Parameter-free LSH hash router: fixed random projections, equal gates (Hash Layers)")]
public sealed class LshRouterFactory : IRouterFactory
{
    /// <summary>The router takes no options.</summary>
    public Type? OptionsType => null;

    /// <inheritdoc/>
    public RouterModule Create(RouterSpec spec) => new LshRouter(spec);
}
