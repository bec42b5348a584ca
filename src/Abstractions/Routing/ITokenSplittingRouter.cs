// Routers that route sub-tokens instead of tokens (multi-head routing, MH-MoE, Wu et al. 2024).
using PluginMoE.Tensors;

namespace PluginMoE.Abstractions.Routing;

/// <summary>
/// A router that splits each token into sub-tokens before routing and merges them after the experts
/// (multi-head routing, MH-MoE). The MoE layer calls <see cref="Split"/>, routes and dispatches the
/// sub-tokens (the <see cref="RoutingContext"/> then has <see cref="RoutingContext.UnitsPerToken"/> = h and a
/// mask over sub-tokens), then calls <see cref="Merge"/>; experts are built at width <see cref="SubTokenDim"/>.
/// </summary>
public interface ITokenSplittingRouter : IRouter
{
    /// <summary>Width of one sub-token (the experts' model width).</summary>
    int SubTokenDim { get; }

    /// <summary>(T, d) tokens to (T * h, d / h) sub-tokens, row-major (token, head), including any head projection.</summary>
    Tensor Split(Tensor tokens);

    /// <summary>(T * h, d / h) expert outputs back to (T, d) (including any merge projection).</summary>
    Tensor Merge(Tensor subTokens, long tokenCount);
}
