// Gate weights from router logits (METHODS "BTX linear router"): softmax over the k kept logits (BTX), softmax then
// top-k renormalised (Mixtral; the same numbers) or not renormalised (DeepSeek-MoE norm_topk_prob=false, Nexus).
using PluginMoE.Tensors;

namespace PluginMoE.Plugins.Routers;

/// <summary>Top-k gates shared by the routers that end in a softmax over expert scores.</summary>
internal static class Gating
{
    /// <summary>The k best experts per row of <paramref name="logits"/> (N, n) and their gates, with the full softmax.</summary>
    /// <param name="logits">(N, n) router scores.</param>
    /// <param name="k">Experts per unit.</param>
    /// <param name="normalize">One of the <see cref="LinearRouterOptions"/> normalisation names.</param>
    public static (Tensor Weights, Tensor Indices, Tensor Probabilities) TopK(Tensor logits, int k, string normalize)
    {
        var probs = logits.softmax(-1);                                  // (N, n) for the balancing loss
        switch (normalize)
        {
            case LinearRouterOptions.TopKSoftmax:
            {
                var (top, indices) = logits.topk(k, -1);                 // (N, k)
                return (top.softmax(-1), indices, probs);                // softmax over the kept logits
            }
            case LinearRouterOptions.SoftmaxTopKRenormalise:
            {
                var (top, indices) = probs.topk(k, -1);                  // (N, k)
                return (top / top.sum(-1, keepdim: true), indices, probs);
            }
            case LinearRouterOptions.SoftmaxTopK:
            {
                var (top, indices) = probs.topk(k, -1);                  // (N, k), sums to < 1
                return (top, indices, probs);
            }
            default:
                throw new ArgumentException(
                    $"unknown gate normalisation '{normalize}'; use {LinearRouterOptions.TopKSoftmax}, {LinearRouterOptions.SoftmaxTopKRenormalise} or {LinearRouterOptions.SoftmaxTopK}",
                    nameof(normalize));
        }
    }

    /// <summary>Rows of <paramref name="v"/> divided by their L2 norm, floored at <paramref name="eps"/> (F.normalize).</summary>
    public static Tensor L2Normalize(Tensor v, double eps = 1e-4) =>
        v / v.square().sum(-1, keepdim: true).sqrt().clamp_min(eps);
}
