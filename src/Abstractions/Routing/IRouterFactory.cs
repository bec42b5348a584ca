// The factory a router plugin exports, and the top-k its router uses when a profile does not choose one.
namespace PluginMoE.Abstractions.Routing;

/// <summary>Builds routers; exported with <see cref="Composition.ExportRouterAttribute"/>.</summary>
public interface IRouterFactory : Composition.IPluginFactory
{
    /// <summary>The top-k a router falls back to when none is set (<see cref="DefaultTopK"/>'s default).</summary>
    public const int FallbackTopK = 2;

    /// <summary>
    /// Experts per token k when the configuration does not set one (<c>Model:Moe:TopK</c> or a recipe variant's
    /// <c>TopK</c> left out): the method's own default, e.g. 1 for Nexus, 2 for BTX's linear router. Optional
    /// (contract 2.1): a factory that does not implement it gets <see cref="FallbackTopK"/>. The host caps it at
    /// the number of experts.
    /// </summary>
    int DefaultTopK => FallbackTopK;

    /// <summary>Creates a router module from <paramref name="spec"/>.</summary>
    RouterModule Create(RouterSpec spec);
}
