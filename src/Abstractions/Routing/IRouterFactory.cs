// The factory a router plugin exports.
namespace PluginMoE.Abstractions.Routing;

/// <summary>Builds routers; exported with <see cref="Composition.ExportRouterAttribute"/>.</summary>
public interface IRouterFactory : Composition.IPluginFactory
{
    /// <summary>Creates a router module from <paramref name="spec"/>.</summary>
    RouterModule Create(RouterSpec spec);
}
