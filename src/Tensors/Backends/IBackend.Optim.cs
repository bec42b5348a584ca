// Kernel family: fused optimizer updates (AdamW, SGD) and the gradient-norm reductions behind clip_grad_norm_.
namespace PluginMoE.Tensors.Backends;

public partial interface IBackend
{
    /// <summary>
    /// One AdamW update (Loshchilov and Hutter 2019, algorithm 2, as PyTorch computes it), in place, element-wise:
    /// p *= 1 - lr*wd; m = beta1*m + (1-beta1)*g; v = beta2*v + (1-beta2)*g*g;
    /// p += -(lr / (1 - beta1^step)) * m / (sqrt(v) / sqrt(1 - beta2^step) + eps).
    /// All four tensors are contiguous, of one float type and of one shape; <paramref name="step"/> is the count after this update.
    /// </summary>
    void AdamWStep(Tensor param, Tensor grad, Tensor expAvg, Tensor expAvgSq, double lr, double beta1, double beta2, double eps, double weightDecay, long step, bool maximize);

    /// <summary>
    /// One AdamW update of many parameters at once (a multi-tensor step): element by element the update of
    /// <see cref="AdamWStep"/> with parameter i's own <paramref name="steps"/>[i], so the results are bitwise those of one
    /// AdamWStep per parameter; a backend may run all of them as one pass split over its threads. The four lists have one
    /// entry per parameter, each quadruple under AdamWStep's rules (contiguous, one float type and shape).
    /// </summary>
    void AdamWStepMulti(IReadOnlyList<Tensor> param, IReadOnlyList<Tensor> grad, IReadOnlyList<Tensor> expAvg, IReadOnlyList<Tensor> expAvgSq,
        IReadOnlyList<long> steps, double lr, double beta1, double beta2, double eps, double weightDecay, bool maximize)
    {
        CheckMultiCounts("AdamWStepMulti", param.Count, grad.Count, expAvg.Count, expAvgSq.Count, steps.Count);
        for (int i = 0; i < param.Count; i++) AdamWStep(param[i], grad[i], expAvg[i], expAvgSq[i], lr, beta1, beta2, eps, weightDecay, steps[i], maximize);
    }

    /// <summary>Throws unless every list of a multi-tensor call has one entry per parameter.</summary>
    internal static void CheckMultiCounts(string op, int count, params int[] others)
    {
        foreach (var o in others)
            if (o != count)
                throw new ArgumentException($"{op}: every list needs one entry per parameter ({count} parameters), got a list of {o}");
    }

    /// <summary>
    /// One SGD update with PyTorch's semantics, in place: d = g + wd*p; with momentum, buf = d on the first step, else
    /// buf = momentum*buf + (1-dampening)*d, and d = nesterov ? d + momentum*buf : buf; then p -= lr*d.
    /// <paramref name="momentumBuffer"/> is null when momentum is 0. Tensors are contiguous, of one float type and shape.
    /// </summary>
    void SgdStep(Tensor param, Tensor grad, Tensor? momentumBuffer, bool firstStep, double lr, double momentum, double dampening, double weightDecay, bool nesterov, bool maximize);

    /// <summary>
    /// Sum of |x|^<paramref name="p"/> over a contiguous float tensor, accumulated in float64 (p = +inf gives max |x|;
    /// NaN elements propagate).
    /// </summary>
    double NormPowerSum(Tensor x, double p);

    /// <summary>Multiplies a contiguous float tensor by <paramref name="factor"/> in place.</summary>
    void ScaleInPlace(Tensor x, double factor);

    /// <summary>Clamps a contiguous float tensor to [<paramref name="min"/>, <paramref name="max"/>] in place (NaN stays NaN).</summary>
    void ClampInPlace(Tensor x, double min, double max);

    /// <summary>
    /// Adds <paramref name="src"/> (same shape and type, any layout) to the contiguous float tensor <paramref name="dst"/>
    /// in place (gradient accumulation).
    /// </summary>
    void AddInPlace(Tensor dst, Tensor src);
}
