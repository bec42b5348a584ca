// CPU kernels for fused optimizer updates (AdamW also as one multi-tensor pass over all parameters) and gradient norms: Vector512/Vector256 bodies with scalar tails that do the
// same operations in the same order, split over threads by ParallelFor (element-wise, so split-independent).
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace PluginMoE.Tensors.Backends;

public sealed partial class CpuBackend
{
    private const int OptimGrain = 1 << 15;

    private static void CheckSame(string op, Tensor reference, params Tensor?[] others)
    {
        if (!reference.is_contiguous()) throw new ArgumentException($"{op}: tensors must be contiguous");
        if (reference.dtype is not (ScalarType.Float32 or ScalarType.Float64))
            throw new NotSupportedException($"{op}: {reference.dtype.TorchName()} is not supported (float32 and float64 are)");
        foreach (var o in others)
        {
            if (o is null) continue;
            if (o.dtype != reference.dtype || !Shape.Equal(o.Sizes, reference.Sizes) || !o.is_contiguous())
                throw new ArgumentException(
                    $"{op}: all tensors must be contiguous {reference.dtype.TorchName()} of shape {Shape.Format(reference.Sizes)}, got {o.dtype.TorchName()} {Shape.Format(o.Sizes)}");
        }
    }

    /// <inheritdoc/>
    public void AdamWStep(Tensor param, Tensor grad, Tensor expAvg, Tensor expAvgSq, double lr, double beta1, double beta2, double eps, double weightDecay, long step, bool maximize)
    {
        CheckSame("AdamWStep", param, grad, expAvg, expAvgSq);
        if (param.dtype == ScalarType.Float32) AdamW(param, grad, expAvg, expAvgSq, AdamWConstants<float>(lr, beta1, beta2, eps, weightDecay, step, maximize));
        else AdamW(param, grad, expAvg, expAvgSq, AdamWConstants<double>(lr, beta1, beta2, eps, weightDecay, step, maximize));
    }

    private static void AdamW<T>(Tensor param, Tensor grad, Tensor expAvg, Tensor expAvgSq, AdamWCoefficients<T> c)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var P = param.StorageAs<T>(); int po = param.Offset;
        var G = grad.StorageAs<T>(); int go = grad.Offset;
        var M = expAvg.StorageAs<T>(); int mo = expAvg.Offset;
        var V = expAvgSq.StorageAs<T>(); int vo = expAvgSq.Offset;
        ParallelFor.Run(param.NumelCached, OptimGrain, (s, e) =>
            AdamWSpan(ref P[po + s], ref G[go + s], ref M[mo + s], ref V[vo + s], e - s, c));
    }

    /// <summary>The per-parameter constants of one AdamW update, in the kernel's type.</summary>
    private readonly record struct AdamWCoefficients<T>(T Decay, T B1, T Omb1, T B2, T Omb2, T Bc2Sqrt, T Eps, T NegStep, bool Maximize)
        where T : unmanaged, IFloatingPointIeee754<T>;

    private static AdamWCoefficients<T> AdamWConstants<T>(double lr, double beta1, double beta2, double eps, double weightDecay, long step, bool maximize)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        double bc1 = 1 - Math.Pow(beta1, step);
        double bc2Sqrt = Math.Sqrt(1 - Math.Pow(beta2, step));
        double stepSize = lr / bc1;
        return new(T.CreateTruncating(1 - lr * weightDecay), T.CreateTruncating(beta1), T.CreateTruncating(1 - beta1), T.CreateTruncating(beta2),
            T.CreateTruncating(1 - beta2), T.CreateTruncating(bc2Sqrt), T.CreateTruncating(eps), T.CreateTruncating(-stepSize), maximize);
    }

    // The AdamW update of n consecutive elements: the widest vectors the hardware runs, then scalars; every lane does the
    // same IEEE operations (multiply, add, sqrt, divide; no fused multiply-add) in the same order, so results do not depend
    // on the vector width or on where a split falls.
    private static void AdamWSpan<T>(ref T p, ref T g, ref T m, ref T v, int n, in AdamWCoefficients<T> c)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int i = 0;
        bool maximize = c.Maximize;
        if (Vector512.IsHardwareAccelerated && Vector512<T>.IsSupported)
        {
            var vDecay = Vector512.Create(c.Decay); var vB1 = Vector512.Create(c.B1); var vOmb1 = Vector512.Create(c.Omb1);
            var vB2 = Vector512.Create(c.B2); var vOmb2 = Vector512.Create(c.Omb2); var vBc2 = Vector512.Create(c.Bc2Sqrt);
            var vEps = Vector512.Create(c.Eps); var vNeg = Vector512.Create(c.NegStep);
            for (; i <= n - Vector512<T>.Count; i += Vector512<T>.Count)
            {
                var gi = Vector512.LoadUnsafe(ref g, (nuint)i);
                if (maximize) gi = -gi;
                var pi = Vector512.LoadUnsafe(ref p, (nuint)i) * vDecay;
                var mi = Vector512.LoadUnsafe(ref m, (nuint)i) * vB1 + vOmb1 * gi;
                var vi = Vector512.LoadUnsafe(ref v, (nuint)i) * vB2 + vOmb2 * gi * gi;
                var denom = Vector512.Sqrt(vi) / vBc2 + vEps;
                pi += vNeg * mi / denom;
                pi.StoreUnsafe(ref p, (nuint)i);
                mi.StoreUnsafe(ref m, (nuint)i);
                vi.StoreUnsafe(ref v, (nuint)i);
            }
        }
        if (Vector256.IsHardwareAccelerated && Vector256<T>.IsSupported)
        {
            var vDecay = Vector256.Create(c.Decay); var vB1 = Vector256.Create(c.B1); var vOmb1 = Vector256.Create(c.Omb1);
            var vB2 = Vector256.Create(c.B2); var vOmb2 = Vector256.Create(c.Omb2); var vBc2 = Vector256.Create(c.Bc2Sqrt);
            var vEps = Vector256.Create(c.Eps); var vNeg = Vector256.Create(c.NegStep);
            for (; i <= n - Vector256<T>.Count; i += Vector256<T>.Count)
            {
                var gi = Vector256.LoadUnsafe(ref g, (nuint)i);
                if (maximize) gi = -gi;
                var pi = Vector256.LoadUnsafe(ref p, (nuint)i) * vDecay;
                var mi = Vector256.LoadUnsafe(ref m, (nuint)i) * vB1 + vOmb1 * gi;
                var vi = Vector256.LoadUnsafe(ref v, (nuint)i) * vB2 + vOmb2 * gi * gi;
                var denom = Vector256.Sqrt(vi) / vBc2 + vEps;
                pi += vNeg * mi / denom;
                pi.StoreUnsafe(ref p, (nuint)i);
                mi.StoreUnsafe(ref m, (nuint)i);
                vi.StoreUnsafe(ref v, (nuint)i);
            }
        }
        for (; i < n; i++)
        {
            T gi = Unsafe.Add(ref g, i);
            if (maximize) gi = -gi;
            T pi = Unsafe.Add(ref p, i) * c.Decay;
            T mi = Unsafe.Add(ref m, i) * c.B1 + c.Omb1 * gi;
            T vi = Unsafe.Add(ref v, i) * c.B2 + c.Omb2 * gi * gi;
            T denom = T.Sqrt(vi) / c.Bc2Sqrt + c.Eps;
            Unsafe.Add(ref p, i) = pi + c.NegStep * mi / denom;
            Unsafe.Add(ref m, i) = mi;
            Unsafe.Add(ref v, i) = vi;
        }
    }

    /// <inheritdoc/>
    public void AdamWStepMulti(IReadOnlyList<Tensor> param, IReadOnlyList<Tensor> grad, IReadOnlyList<Tensor> expAvg, IReadOnlyList<Tensor> expAvgSq,
        IReadOnlyList<long> steps, double lr, double beta1, double beta2, double eps, double weightDecay, bool maximize)
    {
        IBackend.CheckMultiCounts("AdamWStepMulti", param.Count, grad.Count, expAvg.Count, expAvgSq.Count, steps.Count);
        if (param.Count == 0) return;
        var dtype = param[0].dtype;
        for (int i = 0; i < param.Count; i++)
        {
            CheckSame("AdamWStepMulti", param[i], grad[i], expAvg[i], expAvgSq[i]);
            if (param[i].dtype != dtype)
                throw new ArgumentException($"AdamWStepMulti: all parameters must have one type, got {dtype.TorchName()} (parameter 0) and {param[i].dtype.TorchName()} (parameter {i})");
        }
        if (dtype == ScalarType.Float32) AdamWMulti<float>(param, grad, expAvg, expAvgSq, steps, lr, beta1, beta2, eps, weightDecay, maximize);
        else AdamWMulti<double>(param, grad, expAvg, expAvgSq, steps, lr, beta1, beta2, eps, weightDecay, maximize);
    }

    // All parameters as one index space [0, total), split over threads by ParallelFor; each chunk walks the parameters it
    // overlaps. Batches stay below 2^30 elements so that the indices fit an int.
    private static void AdamWMulti<T>(IReadOnlyList<Tensor> param, IReadOnlyList<Tensor> grad, IReadOnlyList<Tensor> expAvg, IReadOnlyList<Tensor> expAvgSq,
        IReadOnlyList<long> steps, double lr, double beta1, double beta2, double eps, double weightDecay, bool maximize)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        const long batchLimit = 1L << 30;
        int first = 0;
        while (first < param.Count)
        {
            int last = first;
            long total = 0;
            while (last < param.Count && (last == first || total + param[last].NumelCached <= batchLimit)) total += param[last++].NumelCached;
            int count = last - first;
            var starts = new int[count + 1];
            var coefficients = new AdamWCoefficients<T>[count];
            for (int k = 0; k < count; k++)
            {
                starts[k + 1] = starts[k] + param[first + k].NumelCached;
                coefficients[k] = AdamWConstants<T>(lr, beta1, beta2, eps, weightDecay, steps[first + k], maximize);
            }
            int offset = first;
            ParallelFor.Run(starts[count], OptimGrain, (s, e) =>
            {
                int k = Array.BinarySearch(starts, s);
                if (k < 0) k = ~k - 1;
                while (k < count && starts[k] < e)
                {
                    // Skip empty parameters (their start equals the next one's).
                    int lo = Math.Max(s, starts[k]), hi = Math.Min(e, starts[k + 1]);
                    if (hi > lo)
                    {
                        var pt = param[offset + k]; var gt = grad[offset + k]; var mt = expAvg[offset + k]; var vt = expAvgSq[offset + k];
                        int at = lo - starts[k];
                        AdamWSpan(ref pt.StorageAs<T>()[pt.Offset + at], ref gt.StorageAs<T>()[gt.Offset + at],
                            ref mt.StorageAs<T>()[mt.Offset + at], ref vt.StorageAs<T>()[vt.Offset + at], hi - lo, coefficients[k]);
                    }
                    k++;
                }
            });
            first = last;
        }
    }

    /// <inheritdoc/>
    public void SgdStep(Tensor param, Tensor grad, Tensor? momentumBuffer, bool firstStep, double lr, double momentum, double dampening, double weightDecay, bool nesterov, bool maximize)
    {
        CheckSame("SgdStep", param, grad, momentumBuffer);
        if (momentum != 0 && momentumBuffer is null) throw new ArgumentException("SgdStep: momentum needs a momentum buffer", nameof(momentumBuffer));
        if (param.dtype == ScalarType.Float32)
            Sgd<float>(param, grad, momentumBuffer, firstStep, (float)-lr, (float)momentum, (float)(1 - dampening), (float)weightDecay, nesterov, maximize);
        else
            Sgd<double>(param, grad, momentumBuffer, firstStep, -lr, momentum, 1 - dampening, weightDecay, nesterov, maximize);
    }

    private static void Sgd<T>(Tensor param, Tensor grad, Tensor? buffer, bool first, T negLr, T momentum, T omDamp, T wd, bool nesterov, bool maximize)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var P = param.StorageAs<T>(); int po = param.Offset;
        var G = grad.StorageAs<T>(); int go = grad.Offset;
        var B = buffer?.StorageAs<T>(); int bo = buffer?.Offset ?? 0;
        bool useWd = wd != T.Zero, useMomentum = B != null;
        ParallelFor.Run(param.NumelCached, OptimGrain, (s, e) =>
        {
            for (int i = s; i < e; i++)
            {
                T d = G[go + i];
                if (maximize) d = -d;
                if (useWd) d += wd * P[po + i];
                if (useMomentum)
                {
                    T b = first ? d : B![bo + i] * momentum + omDamp * d;
                    B![bo + i] = b;
                    d = nesterov ? d + momentum * b : b;
                }
                P[po + i] += negLr * d;
            }
        });
    }

    /// <inheritdoc/>
    public double NormPowerSum(Tensor x, double p)
    {
        CheckSame("NormPowerSum", x);
        int n = x.NumelCached;
        int chunks = ParallelFor.ChunkCount(n, OptimGrain);
        var partial = new double[chunks];
        bool inf = double.IsPositiveInfinity(p);
        // One fixed slice per partial, summed in slice order: the result depends only on n and the thread count.
        ParallelFor.Run(chunks, 1, (cs, ce) =>
        {
            for (int c = cs; c < ce; c++)
            {
                int s = (int)((long)n * c / chunks), e = (int)((long)n * (c + 1) / chunks);
                partial[c] = x.dtype == ScalarType.Float32
                    ? PowerSum<float>(x.StorageAs<float>().AsSpan(x.Offset + s, e - s), p, inf)
                    : PowerSum<double>(x.StorageAs<double>().AsSpan(x.Offset + s, e - s), p, inf);
            }
        });
        double total = 0;
        foreach (var v in partial)
        {
            if (double.IsNaN(v)) return double.NaN;
            total = inf ? Math.Max(total, v) : total + v;
        }
        return total;
    }

    private static double PowerSum<T>(ReadOnlySpan<T> x, double p, bool inf) where T : unmanaged, IFloatingPointIeee754<T>
    {
        double acc = 0;
        if (inf)
        {
            foreach (var t in x)
            {
                double a = Math.Abs(double.CreateTruncating(t));
                if (double.IsNaN(a)) return double.NaN;
                if (a > acc) acc = a;
            }
        }
        else if (p == 2)
            foreach (var t in x) { double a = double.CreateTruncating(t); acc += a * a; }
        else if (p == 1)
            foreach (var t in x) acc += Math.Abs(double.CreateTruncating(t));
        else if (p == 0)
            foreach (var t in x) acc += double.CreateTruncating(t) != 0 ? 1 : 0;
        else
            foreach (var t in x) acc += Math.Pow(Math.Abs(double.CreateTruncating(t)), p);
        return acc;
    }

    /// <inheritdoc/>
    public void ScaleInPlace(Tensor x, double factor)
    {
        CheckSame("ScaleInPlace", x);
        if (x.dtype == ScalarType.Float32)
        {
            var a = x.StorageAs<float>(); int o = x.Offset; float f = (float)factor;
            ParallelFor.Run(x.NumelCached, OptimGrain, (s, e) => System.Numerics.Tensors.TensorPrimitives.Multiply(a.AsSpan(o + s, e - s), f, a.AsSpan(o + s, e - s)));
        }
        else
        {
            var a = x.StorageAs<double>(); int o = x.Offset;
            ParallelFor.Run(x.NumelCached, OptimGrain, (s, e) => System.Numerics.Tensors.TensorPrimitives.Multiply(a.AsSpan(o + s, e - s), factor, a.AsSpan(o + s, e - s)));
        }
    }

    /// <inheritdoc/>
    public void AddInPlace(Tensor dst, Tensor src)
    {
        if (!src.is_contiguous()) src = Contiguous(src);
        CheckSame("AddInPlace", dst, src);
        if (dst.dtype == ScalarType.Float32)
        {
            var a = dst.StorageAs<float>(); int o = dst.Offset;
            var b = src.StorageAs<float>(); int ob = src.Offset;
            ParallelFor.Run(dst.NumelCached, OptimGrain, (s, e) => System.Numerics.Tensors.TensorPrimitives.Add(a.AsSpan(o + s, e - s), b.AsSpan(ob + s, e - s), a.AsSpan(o + s, e - s)));
        }
        else
        {
            var a = dst.StorageAs<double>(); int o = dst.Offset;
            var b = src.StorageAs<double>(); int ob = src.Offset;
            ParallelFor.Run(dst.NumelCached, OptimGrain, (s, e) => System.Numerics.Tensors.TensorPrimitives.Add(a.AsSpan(o + s, e - s), b.AsSpan(ob + s, e - s), a.AsSpan(o + s, e - s)));
        }
    }

    /// <inheritdoc/>
    public void ClampInPlace(Tensor x, double min, double max)
    {
        CheckSame("ClampInPlace", x);
        if (x.dtype == ScalarType.Float32) Clamp(x.StorageAs<float>(), x.Offset, x.NumelCached, (float)min, (float)max);
        else Clamp(x.StorageAs<double>(), x.Offset, x.NumelCached, min, max);
    }

    private static void Clamp<T>(T[] a, int o, int n, T min, T max) where T : unmanaged, IFloatingPointIeee754<T> =>
        ParallelFor.Run(n, OptimGrain, (s, e) =>
        {
            var span = MemoryMarshal.CreateSpan(ref a[o + s], e - s);
            for (int i = 0; i < span.Length; i++)
            {
                T v = span[i];
                if (v < min) span[i] = min;
                else if (v > max) span[i] = max;
            }
        });
}
