// The linear router plugin's factory.
using PluginMoE.Abstractions.Composition;
using PluginMoE.Abstractions.Routing;

namespace PluginMoE.Plugins.Routers;

/// <summary>Creates <see cref="LinearRouter"/>s.</summary>
[ExportRouter("linear", Description = "BTX/Mixtral learned linear top-k router")]
public sealed class LinearRouterFactory : IRouterFactory
{
    /// <inheritdoc/>
    public Type? OptionsType => typeof(LinearRouterOptions);

    /// <inheritdoc/>
    public RouterModule Create(RouterSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        return new LinearRouter(spec, spec.OptionsAs<LinearRouterOptions>());
    }
}
