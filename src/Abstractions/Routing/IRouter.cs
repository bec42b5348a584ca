// Router contracts. The router decides; the MoE layer dispatches. Routers never loop over experts.
using PluginMoE.Tensors;

namespace PluginMoE.Abstractions.Routing;

/// <summary>
/// A router module. Implementations derive from <c>torch.nn.Module</c> (their parameters and buffers are
/// part of the model's state dict under the MoE layer's <c>gate.</c> prefix) and implement this interface.
/// </summary>
public interface IRouter
{
    /// <summary>Number of routed experts.</summary>
    int NumExperts { get; }

    /// <summary>Experts per token.</summary>
    int TopK { get; }

    /// <summary>Routes tokens (N, ModelDim) to experts.</summary>
    RoutingResult Route(Tensor tokens);

    /// <summary>
    /// Tells the router that <paramref name="extension"/>.Count experts were appended (expert ids n..n+c-1).
    /// Routers with learned per-expert parameters grow them (or reset them, as an option); Nexus appends
    /// the new domain embeddings and adds no parameters.
    /// </summary>
    void AddExperts(ExpertExtension extension);

    /// <summary>
    /// A frozen router for inference that gives the same routing. Routers whose expert embeddings do not
    /// depend on the input (Nexus) return a plain linear router here; others may return themselves.
    /// </summary>
    IRouter ToInference();
}

/// <summary>Experts being appended to a router.</summary>
/// <param name="Count">How many experts are appended.</param>
public sealed record ExpertExtension(int Count)
{
    /// <summary>Domain embeddings of the new experts (Count, m), for routers that use them.</summary>
    public Tensor? DomainEmbeddings { get; init; }

    /// <summary>Random source for any new parameters.</summary>
    public Generator Generator { get; init; } = new(0);
}

/// <summary>
/// A router that splits each token into sub-tokens before routing and merges them after the experts
/// (multi-head routing, MH-MoE). The MoE layer calls <see cref="Split"/>, routes and dispatches the
/// sub-tokens, then calls <see cref="Merge"/>; experts are built at width <see cref="SubTokenDim"/>.
/// </summary>
public interface ITokenSplittingRouter : IRouter
{
    /// <summary>Width of one sub-token (the experts' model width).</summary>
    int SubTokenDim { get; }

    /// <summary>(T, d) tokens to (T * h, d / h) sub-tokens (including any head projection).</summary>
    Tensor Split(Tensor tokens);

    /// <summary>(T * h, d / h) expert outputs back to (T, d) (including any merge projection).</summary>
    Tensor Merge(Tensor subTokens, long tokenCount);
}

/// <summary>Builds routers; exported with <see cref="Composition.ExportRouterAttribute"/>.</summary>
public interface IRouterFactory : Composition.IPluginFactory
{
    /// <summary>Creates a router module from <paramref name="spec"/>.</summary>
    IRouter Create(RouterSpec spec);
}
