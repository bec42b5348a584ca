// Kernel family: fused cross-entropy (log-softmax + NLL, with label smoothing) and NLL loss, per sample.
namespace PluginMoE.Tensors.Backends;

public partial interface IBackend
{
    /// <summary>
    /// Per-sample cross-entropy of <paramref name="logits"/> (N, C) against int64 class indices <paramref name="target"/> (N):
    /// (1 - eps) (lse - z_t) + eps (lse - mean_c z_c), with lse = logsumexp(z) and eps = <paramref name="labelSmoothing"/>;
    /// 0 where the target equals <paramref name="ignoreIndex"/>. Also returns lse per sample (N) for the backward.
    /// </summary>
    /// <exception cref="IndexOutOfRangeException">A target is outside [0, C) and is not the ignore index.</exception>
    (Tensor loss, Tensor logSumExp) CrossEntropyForward(Tensor logits, Tensor target, long ignoreIndex, double labelSmoothing);

    /// <summary>
    /// Gradient of <see cref="CrossEntropyForward"/> with respect to the logits, given dL/dloss_i in <paramref name="gradLoss"/> (N):
    /// g_i (softmax(z_i) - (1 - eps) onehot(t_i) - eps / C), and 0 for ignored samples.
    /// </summary>
    Tensor CrossEntropyBackward(Tensor gradLoss, Tensor logits, Tensor target, Tensor logSumExp, long ignoreIndex, double labelSmoothing);

    /// <summary>Per-sample negative log-likelihood -logProbs[i, t_i] of (N, C) log-probabilities; 0 for ignored samples.</summary>
    /// <exception cref="IndexOutOfRangeException">A target is outside [0, C) and is not the ignore index.</exception>
    Tensor NllLossForward(Tensor logProbs, Tensor target, long ignoreIndex);

    /// <summary>Gradient of <see cref="NllLossForward"/>: zeros of (N, C) with -g_i at [i, t_i] for non-ignored samples.</summary>
    Tensor NllLossBackward(Tensor gradLoss, Tensor target, int classes, long ignoreIndex, ScalarType dtype);
}
