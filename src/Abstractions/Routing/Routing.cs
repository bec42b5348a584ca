// The result of routing N units (tokens or sub-tokens): which k experts each goes to, with which gate weights,
// and what the MoE layer needs for its losses: the Switch load-balancing loss (Fedus et al. 2021, eq. 4) from the
// probabilities and the ST-MoE router z-loss (Zoph et al. 2022, eq. 5) from the logits.
using PluginMoE.Tensors;

namespace PluginMoE.Abstractions.Routing;

/// <summary>A routing decision for N units over n experts. N is the number of rows of the tokens given to <see cref="IRouter.Route"/>.</summary>
/// <param name="Indices">(N, k) int64 expert ids per unit slot.</param>
/// <param name="Weights">(N, k) gate weight of each slot (differentiable).</param>
/// <param name="Probabilities">(N, n) router probabilities; the layer's Switch loss uses their mean P_i over the unmasked
/// units together with the slot fractions f_i from <paramref name="Indices"/>. Null for routers that have no
/// differentiable distribution (hash routers): the layer then adds no balancing loss.</param>
/// <param name="Logits">(N, n) pre-softmax scores for the router z-loss and diagnostics; null for routers without logits (no z-loss).</param>
public sealed record RoutingResult(Tensor Indices, Tensor Weights, Tensor? Probabilities, Tensor? Logits)
{
    /// <summary>Extra losses that the router itself defines (already weighted), added to the LM loss by the trainer.</summary>
    public IReadOnlyList<AuxiliaryLoss> AuxiliaryLosses { get; init; } = [];
}

/// <summary>A named scalar loss term.</summary>
/// <param name="Name">Name used in metrics, e.g. <c>router_entropy</c>.</param>
/// <param name="Value">0-dim tensor, already multiplied by its weight.</param>
public sealed record AuxiliaryLoss(string Name, Tensor Value);
