// The result of routing N tokens: which k experts each token goes to, with which gate weights, and
// the router's full distribution (for the load-balancing loss, statistics and z-loss).
using PluginMoE.Tensors;

namespace PluginMoE.Abstractions.Routing;

/// <summary>A routing decision for N tokens over n experts.</summary>
/// <param name="Indices">(N, k) int64 expert ids per token slot.</param>
/// <param name="Weights">(N, k) gate weight of each slot (differentiable).</param>
/// <param name="Probabilities">(N, n) router probabilities used by the load-balancing loss (P_i is their mean over tokens).</param>
/// <param name="Logits">(N, n) pre-softmax scores (router z-loss, diagnostics).</param>
public sealed record RoutingResult(Tensor Indices, Tensor Weights, Tensor Probabilities, Tensor Logits)
{
    /// <summary>Extra losses that the router itself defines (already weighted), added to the LM loss by the trainer.</summary>
    public IReadOnlyList<AuxiliaryLoss> AuxiliaryLosses { get; init; } = [];
}

/// <summary>A named scalar loss term.</summary>
/// <param name="Name">Name used in metrics, e.g. <c>router_entropy</c>.</param>
/// <param name="Value">0-dim tensor, already multiplied by its weight.</param>
public sealed record AuxiliaryLoss(string Name, Tensor Value);
