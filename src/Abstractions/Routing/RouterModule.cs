// The base class of every router: a torch.nn.Module that is also an IRouter, so that the MoE layer holds it once.
using PluginMoE.Tensors;
using static PluginMoE.Tensors.torch;

namespace PluginMoE.Abstractions.Routing;

/// <summary>
/// Base class of router plugins. Register parameters and buffers as for any module (they are saved under the
/// MoE layer's <c>gate.</c> prefix). Routing is <see cref="Route"/> rather than <c>forward</c> because a router
/// returns a decision (<see cref="RoutingResult"/>), not a transformed tensor.
/// </summary>
public abstract class RouterModule : nn.Module, IRouter
{
    /// <inheritdoc/>
    public abstract int NumExperts { get; }

    /// <inheritdoc/>
    public abstract int TopK { get; }

    /// <inheritdoc/>
    public abstract RoutingResult Route(Tensor tokens, RoutingContext context);

    /// <inheritdoc/>
    public abstract void AddExperts(ExpertExtension extension);

    /// <summary>By default the router is its own inference form (<see cref="RouterInferenceForm.Unchanged"/>).</summary>
    public virtual RouterInferenceForm ToInference() => RouterInferenceForm.Unchanged(this);
}
