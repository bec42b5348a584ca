// The linear router plugin's factory.
using PluginMoE.Abstractions.Composition;
using PluginMoE.Abstractions.Routing;

namespace PluginMoE.Plugins.Routers;

/// <summary>Creates <see cref="LinearRouter"/>s.</summary>
[ExportRouter(Name, Description = "BTX/Mixtral/Switch learned linear router: top-k, switch, soft, sample-top1 (arXiv 2403.07816)")]
public sealed class LinearRouterFactory : IRouterFactory
{
    /// <summary>The plugin name.</summary>
    public const string Name = "linear";

    /// <inheritdoc/>
    public Type? OptionsType => typeof(LinearRouterOptions);

    /// <inheritdoc/>
    public RouterModule Create(RouterSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        return new LinearRouter(spec, spec.OptionsAs<LinearRouterOptions>());
    }
}
