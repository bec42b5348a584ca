// Router contracts. The router decides; the MoE layer dispatches. Routers never loop over experts.
using PluginMoE.Tensors;

namespace PluginMoE.Abstractions.Routing;

/// <summary>
/// A router. Implementations derive from <see cref="RouterModule"/> (a <c>torch.nn.Module</c>: their parameters
/// and buffers are part of the model's state dict under the MoE layer's <c>gate.</c> prefix).
/// </summary>
public interface IRouter
{
    /// <summary>Number of routed experts.</summary>
    int NumExperts { get; }

    /// <summary>Experts per routed unit (token or sub-token).</summary>
    int TopK { get; }

    /// <summary>Routes <paramref name="tokens"/> (N, ModelDim): N units (tokens, or sub-tokens when the router splits) to experts.</summary>
    /// <param name="tokens">(N, ModelDim) routed units.</param>
    /// <param name="context">Mask of the N units, training step, train/eval flag and the trainer's random source.</param>
    RoutingResult Route(Tensor tokens, RoutingContext context);

    /// <summary>
    /// Tells the router that <paramref name="extension"/>.Count experts were appended (expert ids n..n+c-1).
    /// Routers with learned per-expert parameters grow them (or reset them, as an option); Nexus appends
    /// the new domain embeddings and adds no parameters. Parameters may be replaced: build optimisers afterwards.
    /// </summary>
    void AddExperts(ExpertExtension extension);

    /// <summary>
    /// The router's inference form: a module that gives the same routing for every input in eval mode, and the
    /// plugin name and options that rebuild it from a checkpoint (so the host can swap it into the layer and
    /// rewrite the saved config). Routers whose expert embeddings do not depend on the input (Nexus) return a plain
    /// linear router here; routers that are already their inference form return <see cref="RouterInferenceForm.Unchanged"/>.
    /// </summary>
    RouterInferenceForm ToInference();
}
