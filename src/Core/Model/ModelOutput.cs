// What one forward pass of the LM returns: logits, the summed auxiliary losses and per-layer routing.
using PluginMoE.Tensors;

namespace PluginMoE.Core.Model;

/// <summary>Output of <see cref="TransformerLM.forward(Tensor)"/>.</summary>
/// <param name="Logits">(B, T, V) next-token logits.</param>
/// <param name="AuxLoss">0-dim: weighted load-balancing + z-loss + router auxiliary losses summed over MoE layers; 0 for a dense model, and outside training unless the MoE layers are asked for it (<see cref="Moe.MoeLayer.AuxLossInEval"/>).</param>
/// <param name="Routing">One entry per MoE layer, in layer order (empty for a dense model).</param>
public sealed record ModelOutput(Tensor Logits, Tensor AuxLoss, IReadOnlyList<LayerRouting> Routing);

/// <summary>Routing decisions of one MoE layer for one batch.</summary>
/// <param name="Layer">Layer index.</param>
/// <param name="ExpertIndices">(N, k) int64 expert ids, N = B*T (or B*T*h with multi-head routing), row-major over (b, t[, h]); padded tokens included.</param>
/// <param name="ExpertCounts">(n) int64 routed token slots per expert, padded tokens excluded.</param>
/// <param name="Gates">(N, k) the router's weights of the chosen experts, row for row with <paramref name="ExpertIndices"/>, or null when not known.</param>
public sealed record LayerRouting(int Layer, Tensor ExpertIndices, Tensor ExpertCounts, Tensor? Gates = null);
