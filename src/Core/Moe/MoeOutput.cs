// What an MoE block returns besides its output: its auxiliary loss and the routing it chose.
using PluginMoE.Tensors;

namespace PluginMoE.Core.Moe;

/// <summary>Output of <see cref="MoeLayer.forward(Tensor, Abstractions.Routing.RoutingContext)"/>.</summary>
/// <param name="Output">(N, d) block output (routed experts + shared expert).</param>
/// <param name="AuxLoss">0-dim: weighted load-balancing loss + weighted router z-loss + the router's own auxiliary losses; 0 when the routing context is not training, unless <see cref="MoeLayer.AuxLossInEval"/>.</param>
/// <param name="ExpertIndices">(N', k) int64 expert ids (N' = N, or N*h with token splitting).</param>
/// <param name="ExpertCounts">(n) int64 routed slots per expert, masked tokens excluded.</param>
/// <param name="ExpertWeights">(N', k) the gates the router gave the chosen experts (the weights the expert outputs are mixed with), or null.</param>
public sealed record MoeOutput(Tensor Output, Tensor AuxLoss, Tensor ExpertIndices, Tensor ExpertCounts, Tensor? ExpertWeights = null);
