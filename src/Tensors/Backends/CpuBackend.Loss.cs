// CPU cross-entropy and NLL kernels: one pass per sample row for the forward (max, sum of exp, target logit,
// row mean) and one for the backward (softmax minus the smoothed one-hot), rows split by ParallelFor.
using System.Numerics;
using System.Numerics.Tensors;

namespace PluginMoE.Tensors.Backends;

public sealed partial class CpuBackend
{
    private static long[] CheckedTargets(Tensor target, int n, int classes, long ignoreIndex, string op)
    {
        var t = (target.dtype == ScalarType.Int64 ? target : target.to(ScalarType.Int64)).data<long>();
        if (t.Length != n) throw new ArgumentException($"{op}: {t.Length} targets for {n} samples");
        foreach (var v in t)
            if (v != ignoreIndex && (v < 0 || v >= classes))
                throw new IndexOutOfRangeException($"{op}: target {v} is out of bounds for {classes} classes (valid: 0..{classes - 1}, or ignore_index {ignoreIndex})");
        return t;
    }

    /// <inheritdoc/>
    public (Tensor loss, Tensor logSumExp) CrossEntropyForward(Tensor logits, Tensor target, long ignoreIndex, double labelSmoothing)
    {
        RequireFloat(logits, "cross_entropy");
        logits = UnaryContig(logits);
        int n = logits.Sizes[0], c = logits.Sizes[1];
        var t = CheckedTargets(target, n, c, ignoreIndex, "cross_entropy");
        var loss = Tensor.Empty(logits.dtype, [n]);
        var lse = Tensor.Empty(logits.dtype, [n]);
        if (logits.dtype == ScalarType.Float32) CrossEntropyKernel<float>(logits, t, ignoreIndex, labelSmoothing, loss, lse);
        else CrossEntropyKernel<double>(logits, t, ignoreIndex, labelSmoothing, loss, lse);
        return (loss, lse);
    }

    private static void CrossEntropyKernel<T>(Tensor logits, long[] target, long ignoreIndex, double labelSmoothing, Tensor loss, Tensor lse)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var Z = logits.StorageAs<T>();
        int zo = logits.Offset, c = logits.Sizes[1];
        var L = loss.StorageAs<T>();
        var M = lse.StorageAs<T>();
        T eps = T.CreateTruncating(labelSmoothing), keep = T.One - eps, classes = T.CreateTruncating(c);
        ParallelFor.Run(target.Length, Math.Max(1, ElementwiseGrain / Math.Max(c, 1) / 4), (s, e) =>
        {
            var tmp = new T[c];
            for (int i = s; i < e; i++)
            {
                if (target[i] == ignoreIndex)
                {
                    L[i] = T.Zero;
                    M[i] = T.Zero;
                    continue;
                }
                var z = new ReadOnlySpan<T>(Z, zo + i * c, c);
                T m = TensorPrimitives.Max(z);
                TensorPrimitives.Subtract(z, m, tmp);
                VectorMath.Exp<T>(tmp, tmp);
                T l = T.Log(TensorPrimitives.Sum<T>(tmp)) + m;
                M[i] = l;
                T nll = l - z[(int)target[i]];
                L[i] = labelSmoothing == 0 ? nll : keep * nll + eps * (l - TensorPrimitives.Sum(z) / classes);
            }
        });
    }

    /// <inheritdoc/>
    public Tensor CrossEntropyBackward(Tensor gradLoss, Tensor logits, Tensor target, Tensor logSumExp, long ignoreIndex, double labelSmoothing)
    {
        RequireFloat(logits, "cross_entropy backward");
        logits = UnaryContig(logits);
        int n = logits.Sizes[0], c = logits.Sizes[1];
        var t = CheckedTargets(target, n, c, ignoreIndex, "cross_entropy backward");
        var g = UnaryContig(gradLoss.dtype == logits.dtype ? gradLoss : Convert(gradLoss, logits.dtype));
        var l = UnaryContig(logSumExp);
        var r = Tensor.Empty(logits.dtype, [n, c]);
        if (logits.dtype == ScalarType.Float32) CrossEntropyBackwardKernel<float>(g, logits, t, l, ignoreIndex, labelSmoothing, r);
        else CrossEntropyBackwardKernel<double>(g, logits, t, l, ignoreIndex, labelSmoothing, r);
        return r;
    }

    private static void CrossEntropyBackwardKernel<T>(Tensor gradLoss, Tensor logits, long[] target, Tensor lse, long ignoreIndex, double labelSmoothing, Tensor r)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var Z = logits.StorageAs<T>();
        var G = gradLoss.StorageAs<T>();
        var M = lse.StorageAs<T>();
        var R = r.StorageAs<T>();
        int zo = logits.Offset, go = gradLoss.Offset, mo = lse.Offset, c = logits.Sizes[1];
        T eps = T.CreateTruncating(labelSmoothing), keep = T.One - eps, off = eps / T.CreateTruncating(c);
        ParallelFor.Run(target.Length, Math.Max(1, ElementwiseGrain / Math.Max(c, 1) / 4), (s, e) =>
        {
            for (int i = s; i < e; i++)
            {
                var d = R.AsSpan(i * c, c);
                if (target[i] == ignoreIndex)
                {
                    d.Clear();
                    continue;
                }
                T gi = G[go + i];
                TensorPrimitives.Subtract(new ReadOnlySpan<T>(Z, zo + i * c, c), M[mo + i], d);
                VectorMath.Exp<T>(d, d);                       // softmax
                if (labelSmoothing != 0) TensorPrimitives.Subtract(d, off, d);
                d[(int)target[i]] -= keep;
                TensorPrimitives.Multiply(d, gi, d);
            }
        });
    }

    /// <inheritdoc/>
    public Tensor NllLossForward(Tensor logProbs, Tensor target, long ignoreIndex)
    {
        RequireFloat(logProbs, "nll_loss");
        logProbs = UnaryContig(logProbs);
        int n = logProbs.Sizes[0], c = logProbs.Sizes[1];
        var t = CheckedTargets(target, n, c, ignoreIndex, "nll_loss");
        var r = Tensor.Empty(logProbs.dtype, [n]);
        if (logProbs.dtype == ScalarType.Float32) NllGather<float>(logProbs, t, ignoreIndex, r);
        else NllGather<double>(logProbs, t, ignoreIndex, r);
        return r;
    }

    private static void NllGather<T>(Tensor logProbs, long[] target, long ignoreIndex, Tensor r) where T : unmanaged, INumber<T>
    {
        var P = logProbs.StorageAs<T>();
        var R = r.StorageAs<T>();
        int po = logProbs.Offset, c = logProbs.Sizes[1];
        for (int i = 0; i < target.Length; i++) R[i] = target[i] == ignoreIndex ? T.Zero : -P[po + i * c + (int)target[i]];
    }

    /// <inheritdoc/>
    public Tensor NllLossBackward(Tensor gradLoss, Tensor target, int classes, long ignoreIndex, ScalarType dtype)
    {
        var g = UnaryContig(gradLoss.dtype == dtype ? gradLoss : Convert(gradLoss, dtype));
        int n = g.NumelCached;
        var t = CheckedTargets(target, n, classes, ignoreIndex, "nll_loss backward");
        var r = Tensor.Zeros(dtype, [n, classes]);
        if (dtype == ScalarType.Float32) NllScatter<float>(g, t, ignoreIndex, r, classes);
        else NllScatter<double>(g, t, ignoreIndex, r, classes);
        return r;
    }

    private static void NllScatter<T>(Tensor g, long[] target, long ignoreIndex, Tensor r, int classes) where T : unmanaged, INumber<T>
    {
        var G = g.AsSpan<T>();
        var R = r.AsSpan<T>();
        for (int i = 0; i < target.Length; i++)
            if (target[i] != ignoreIndex) R[i * classes + (int)target[i]] = -G[i];
    }
}
