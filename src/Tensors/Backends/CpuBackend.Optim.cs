// CPU kernels for fused optimizer updates and gradient norms: Vector256 bodies with scalar tails that do the
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
        double bc1 = 1 - Math.Pow(beta1, step);
        double bc2Sqrt = Math.Sqrt(1 - Math.Pow(beta2, step));
        double stepSize = lr / bc1;
        if (param.dtype == ScalarType.Float32)
            AdamW<float>(param, grad, expAvg, expAvgSq, (float)(1 - lr * weightDecay), (float)beta1, (float)(1 - beta1), (float)beta2, (float)(1 - beta2), (float)bc2Sqrt, (float)eps, (float)-stepSize, maximize);
        else
            AdamW<double>(param, grad, expAvg, expAvgSq, 1 - lr * weightDecay, beta1, 1 - beta1, beta2, 1 - beta2, bc2Sqrt, eps, -stepSize, maximize);
    }

    private static void AdamW<T>(Tensor param, Tensor grad, Tensor expAvg, Tensor expAvgSq, T decay, T b1, T omb1, T b2, T omb2, T bc2Sqrt, T eps, T negStep, bool maximize)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var P = param.StorageAs<T>(); int po = param.Offset;
        var G = grad.StorageAs<T>(); int go = grad.Offset;
        var M = expAvg.StorageAs<T>(); int mo = expAvg.Offset;
        var V = expAvgSq.StorageAs<T>(); int vo = expAvgSq.Offset;
        ParallelFor.Run(param.NumelCached, OptimGrain, (s, e) =>
        {
            ref T p = ref P[po + s];
            ref T g = ref G[go + s];
            ref T m = ref M[mo + s];
            ref T v = ref V[vo + s];
            int n = e - s, i = 0;
            if (Vector256.IsHardwareAccelerated && Vector256<T>.IsSupported)
            {
                var vDecay = Vector256.Create(decay); var vB1 = Vector256.Create(b1); var vOmb1 = Vector256.Create(omb1);
                var vB2 = Vector256.Create(b2); var vOmb2 = Vector256.Create(omb2); var vBc2 = Vector256.Create(bc2Sqrt);
                var vEps = Vector256.Create(eps); var vNeg = Vector256.Create(negStep);
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
                T pi = Unsafe.Add(ref p, i) * decay;
                T mi = Unsafe.Add(ref m, i) * b1 + omb1 * gi;
                T vi = Unsafe.Add(ref v, i) * b2 + omb2 * gi * gi;
                T denom = T.Sqrt(vi) / bc2Sqrt + eps;
                Unsafe.Add(ref p, i) = pi + negStep * mi / denom;
                Unsafe.Add(ref m, i) = mi;
                Unsafe.Add(ref v, i) = vi;
            }
        });
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
