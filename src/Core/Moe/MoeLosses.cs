// Auxiliary losses of an MoE block: the Switch Transformer load-balancing loss (Fedus et al. 2021, eq. 4,
// as in BTX) L = alpha * n * sum_i f_i P_i, and the ST-MoE router z-loss (Zoph et al. 2022, eq. 5)
// beta * mean(logsumexp(logits)^2). Masked (padding) tokens count in neither.
using PluginMoE.Tensors;
using static PluginMoE.Tensors.torch;

namespace PluginMoE.Core.Moe;

/// <summary>Load-balancing and z losses over the unmasked tokens of a batch.</summary>
public static class MoeLosses
{
    /// <summary>
    /// <c>alpha * n * sum_i f_i * P_i</c>: f_i is the fraction of routed token slots sent to expert i (a count,
    /// so no gradient), P_i the mean router probability of expert i over the tokens (the gradient flows here).
    /// </summary>
    /// <param name="probabilities">(N, n) router probabilities.</param>
    /// <param name="indices">(N, k) chosen experts.</param>
    /// <param name="mask">(N) bool, true for real tokens; null when every token counts.</param>
    /// <param name="alpha">Loss weight.</param>
    /// <returns>0-dim loss (0 when no token counts).</returns>
    public static Tensor LoadBalancing(Tensor probabilities, Tensor indices, Tensor? mask, double alpha)
    {
        ArgumentNullException.ThrowIfNull(probabilities);
        ArgumentNullException.ThrowIfNull(indices);
        long n = probabilities.size(1), k = indices.size(1);
        var (valid, count) = Valid(probabilities, mask);
        if (count == 0 || alpha == 0) return zeros([], probabilities.dtype);
        var slots = valid.repeat_interleave(k);                                          // (N*k) weight of each slot
        var f = indices.reshape(-1).bincount(slots, minlength: n).narrow(0, 0, n) / (count * k); // (n) slot fractions
        var p = (probabilities * valid.unsqueeze(1)).sum(0) / count;                     // (n) mean probabilities
        return (f.detach() * p).sum() * (alpha * n);
    }

    /// <summary><c>beta * mean over tokens of logsumexp(logits)^2</c> (keeps router logits small).</summary>
    /// <param name="logits">(N, n) router logits.</param>
    /// <param name="mask">(N) bool, true for real tokens; null when every token counts.</param>
    /// <param name="beta">Loss weight.</param>
    public static Tensor RouterZ(Tensor logits, Tensor? mask, double beta)
    {
        ArgumentNullException.ThrowIfNull(logits);
        var (valid, count) = Valid(logits, mask);
        if (count == 0 || beta == 0) return zeros([], logits.dtype);
        var z = logits.logsumexp(-1); // (N)
        return (z * z * valid).sum() * (beta / count);
    }

    /// <summary>(N) 0/1 weights in the dtype of <paramref name="x"/>, and how many are one.</summary>
    private static (Tensor Valid, double Count) Valid(Tensor x, Tensor? mask)
    {
        if (mask is null) return (ones([x.size(0)], x.dtype), x.size(0));
        if (mask.dim() != 1 || mask.size(0) != x.size(0))
            throw new ArgumentException($"MoE losses: the token mask must be (N) = ({x.size(0)}), got [{string.Join(", ", mask.shape)}]", nameof(mask));
        var valid = mask.to(x.dtype).detach();
        return (valid, valid.sum().ToDouble());
    }
}
