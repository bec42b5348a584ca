// Kernel family: fused RMSNorm (Zhang & Sennrich 2019) and LayerNorm (Ba et al. 2016), forward/backward pairs.
namespace PluginMoE.Tensors.Backends;

public partial interface IBackend
{
    /// <summary>
    /// RMSNorm forward over rows: <c>y = x * rstd * weight</c> with <c>rstd = 1 / sqrt(mean(x^2) + eps)</c>.
    /// </summary>
    /// <param name="x">Input, contiguous, viewed as (N, C) rows.</param>
    /// <param name="weight">Per-channel scale (C), contiguous, same dtype; null for none.</param>
    /// <param name="cols">C, the number of elements normalised together.</param>
    /// <param name="eps">Added to the mean square.</param>
    /// <returns><c>y</c> with the shape of <paramref name="x"/> and the per-row <c>rstd</c> (N) kept for backward.</returns>
    (Tensor y, Tensor rstd) RmsNormForward(Tensor x, Tensor? weight, int cols, double eps);

    /// <summary>RMSNorm backward: input and weight gradients from the saved per-row <c>rstd</c>.</summary>
    /// <param name="dy">dL/dy, contiguous, shape of <paramref name="x"/>.</param>
    /// <param name="x">The forward input (contiguous, N x C).</param>
    /// <param name="weight">The forward weight (C) or null.</param>
    /// <param name="rstd">Saved reciprocal RMS (N).</param>
    /// <param name="cols">C.</param>
    /// <param name="needWeightGrad">Compute dL/dweight (summed over rows in a fixed order).</param>
    /// <returns><c>dx</c> (shape of x) and <c>dweight</c> (C, or null).</returns>
    (Tensor dx, Tensor? dweight) RmsNormBackward(Tensor dy, Tensor x, Tensor? weight, Tensor rstd, int cols, bool needWeightGrad);

    /// <summary>
    /// Residual add fused with RMSNorm (the pre-norm transformer's <c>h = x + f(x)</c> followed by <c>norm(h)</c>; vLLM's
    /// <c>fused_add_rms_norm</c>): <c>sum = x + residual</c>, <c>y = sum * rstd * weight</c>, <c>rstd = 1 / sqrt(mean(sum^2) + eps)</c>.
    /// The default composes <see cref="Binary"/> and <see cref="RmsNormForward"/>; a backend may do it in one pass over the rows.
    /// Backward is <see cref="AddRmsNormBackward"/>.
    /// </summary>
    /// <param name="x">Input, contiguous, viewed as (N, C) rows.</param>
    /// <param name="residual">Added to <paramref name="x"/>; contiguous, same shape and dtype.</param>
    /// <param name="weight">Per-channel scale (C), contiguous, same dtype; null for none.</param>
    /// <param name="cols">C, the number of elements normalised together.</param>
    /// <param name="eps">Added to the mean square.</param>
    /// <returns><c>sum</c> and <c>y</c> (shape of <paramref name="x"/>) and the per-row <c>rstd</c> (N).</returns>
    (Tensor sum, Tensor y, Tensor rstd) AddRmsNormForward(Tensor x, Tensor residual, Tensor? weight, int cols, double eps)
    {
        var sum = Binary(BinaryOp.Add, x, residual);
        var (y, rstd) = RmsNormForward(sum, weight, cols, eps);
        return (sum, y, rstd);
    }

    /// <summary>
    /// Backward of <see cref="AddRmsNormForward"/> from the gradients of both of its results:
    /// <c>d = dsum + rmsnorm_backward(dy)</c> is the gradient of both <c>x</c> and <c>residual</c>, and
    /// <c>dweight = sum_rows dy * sum * rstd</c>. The default composes <see cref="RmsNormBackward"/> and
    /// <see cref="Binary"/>; a backend may do it in one pass over the rows.
    /// </summary>
    /// <param name="dsum">dL/dsum (contiguous, shape of <paramref name="sum"/>), or null when no gradient reached <c>sum</c> (zero).</param>
    /// <param name="dy">dL/dy (contiguous, shape of <paramref name="sum"/>), or null when no gradient reached <c>y</c> (zero).</param>
    /// <param name="sum">The forward's <c>sum</c> (contiguous, N x C).</param>
    /// <param name="weight">The forward weight (C) or null.</param>
    /// <param name="rstd">Saved reciprocal RMS (N).</param>
    /// <param name="cols">C.</param>
    /// <param name="needWeightGrad">Compute dL/dweight (null when <paramref name="dy"/> is null).</param>
    /// <returns>The gradient of x and of residual (one tensor), and <c>dweight</c> (C, or null).</returns>
    /// <exception cref="ArgumentException">Both gradients are null.</exception>
    (Tensor dx, Tensor? dweight) AddRmsNormBackward(Tensor? dsum, Tensor? dy, Tensor sum, Tensor? weight, Tensor rstd, int cols, bool needWeightGrad)
    {
        if (dy is null)
            return (dsum ?? throw new ArgumentException("add_rms_norm backward: neither result has a gradient (dsum and dy are both null)"), null);
        var (dx, dw) = RmsNormBackward(dy, sum, weight, rstd, cols, needWeightGrad);
        return (dsum is null ? dx : Binary(BinaryOp.Add, dx, dsum), dw);
    }

    /// <summary>
    /// LayerNorm forward over rows (biased variance, as PyTorch):
    /// <c>y = (x - mean) * rstd * weight + bias</c> with <c>rstd = 1 / sqrt(var + eps)</c>.
    /// </summary>
    /// <param name="x">Input, contiguous, viewed as (N, C) rows.</param>
    /// <param name="weight">Per-channel scale (C) or null.</param>
    /// <param name="bias">Per-channel shift (C) or null.</param>
    /// <param name="cols">C.</param>
    /// <param name="eps">Added to the variance.</param>
    /// <returns><c>y</c>, and the per-row <c>mean</c> and <c>rstd</c> (N) kept for backward.</returns>
    (Tensor y, Tensor mean, Tensor rstd) LayerNormForward(Tensor x, Tensor? weight, Tensor? bias, int cols, double eps);

    /// <summary>LayerNorm backward from the saved per-row mean and rstd.</summary>
    /// <param name="dy">dL/dy, contiguous, shape of <paramref name="x"/>.</param>
    /// <param name="x">The forward input (contiguous, N x C).</param>
    /// <param name="weight">The forward weight (C) or null.</param>
    /// <param name="mean">Saved row means (N).</param>
    /// <param name="rstd">Saved reciprocal standard deviations (N).</param>
    /// <param name="cols">C.</param>
    /// <param name="needWeightGrad">Compute dL/dweight.</param>
    /// <param name="needBiasGrad">Compute dL/dbias.</param>
    /// <returns><c>dx</c>, <c>dweight</c> (C or null), <c>dbias</c> (C or null); row sums are combined in a fixed order.</returns>
    (Tensor dx, Tensor? dweight, Tensor? dbias) LayerNormBackward(Tensor dy, Tensor x, Tensor? weight, Tensor mean, Tensor rstd, int cols, bool needWeightGrad, bool needBiasGrad);
}
