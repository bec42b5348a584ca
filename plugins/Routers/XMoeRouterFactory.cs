// The xmoe router plugin's factory.
using PluginMoE.Abstractions.Composition;
using PluginMoE.Abstractions.Routing;

namespace PluginMoE.Plugins.Routers;

/// <summary>Creates <see cref="XMoeRouter"/>s.</summary>
[ExportRouter(Name, Description = "X-MoE low-dimensional cosine router with learned temperature (arXiv 2204.09179)")]
public sealed class XMoeRouterFactory : IRouterFactory
{
    /// <summary>The plugin name.</summary>
    public const string Name = "xmoe";

    /// <inheritdoc/>
    public Type? OptionsType => typeof(XMoeRouterOptions);

    /// <inheritdoc/>
    public RouterModule Create(RouterSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        return new XMoeRouter(spec, spec.OptionsAs<XMoeRouterOptions>());
    }
}
