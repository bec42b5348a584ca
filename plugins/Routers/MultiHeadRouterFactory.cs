// The multi-head router plugin's factory.
using PluginMoE.Abstractions.Composition;
using PluginMoE.Abstractions.Routing;

namespace PluginMoE.Plugins.Routers;

/// <summary>Creates <see cref="MultiHeadRouter"/>s.</summary>
[ExportRouter(Name, Description = "MH-MoE multi-head routing: sub-tokens of width d/h routed by any inner router (arXiv 2404.15045)")]
public sealed class MultiHeadRouterFactory : IRouterFactory
{
    /// <summary>The plugin name.</summary>
    public const string Name = "multi-head";

    /// <inheritdoc/>
    public Type? OptionsType => typeof(MultiHeadRouterOptions);

    /// <inheritdoc/>
    public RouterModule Create(RouterSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        return new MultiHeadRouter(spec, spec.OptionsAs<MultiHeadRouterOptions>());
    }
}
