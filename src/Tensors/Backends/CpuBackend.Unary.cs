// CPU element-wise unary kernels: TensorPrimitives (SIMD) where it has the function, fused scalar loops
// otherwise; each forward sits beside its gradient. Work is split by ParallelFor over contiguous chunks.
using System.Numerics;
using System.Numerics.Tensors;

namespace PluginMoE.Tensors.Backends;

public sealed partial class CpuBackend
{
    /// <summary>Chunk size for compute-bound (transcendental) element-wise kernels.</summary>
    private const int TranscendentalGrain = 1 << 12;

    /// <summary>sqrt(2/pi), the GELU tanh-approximation scale.</summary>
    private const double GeluTanhK = 0.79788456080286535588;

    /// <summary>The cubic coefficient of the GELU tanh approximation.</summary>
    private const double GeluTanhA = 0.044715;

    private Tensor UnaryContig(Tensor t) => t.is_contiguous() ? t : Contiguous(t);

    private static void RequireFloat(Tensor t, string op)
    {
        if (t.dtype is not (ScalarType.Float32 or ScalarType.Float64))
            throw new NotSupportedException($"{op}: not supported for {t.dtype.TorchName()} tensors; convert to float32 or float64 first");
    }

    /// <inheritdoc/>
    public Tensor Unary(UnaryOp op, Tensor x)
    {
        x = UnaryContig(x);
        var r = Tensor.Empty(x.dtype, (int[])x.Sizes.Clone());
        bool intOk = op is UnaryOp.Abs or UnaryOp.Square or UnaryOp.Relu;
        switch (x.dtype)
        {
            case ScalarType.Float32: UnaryFloatKernel<float>(op, x, r); break;
            case ScalarType.Float64: UnaryFloatKernel<double>(op, x, r); break;
            case ScalarType.Int64 when intOk: UnaryIntKernel<long>(op, x, r); break;
            case ScalarType.Int32 when intOk: UnaryIntKernel<int>(op, x, r); break;
            default:
                throw new NotSupportedException($"{op.ToString().ToLowerInvariant()}: not supported for {x.dtype.TorchName()} tensors; convert to float32 or float64 first");
        }
        return r;
    }

    private static void UnaryIntKernel<T>(UnaryOp op, Tensor x, Tensor r) where T : unmanaged, INumber<T>
    {
        var X = x.StorageAs<T>();
        var R = r.StorageAs<T>();
        int xo = x.Offset;
        ParallelFor.Run(r.NumelCached, ElementwiseGrain, (s, e) =>
        {
            var src = new ReadOnlySpan<T>(X, xo + s, e - s);
            var dst = R.AsSpan(s, e - s);
            switch (op)
            {
                case UnaryOp.Abs: TensorPrimitives.Abs(src, dst); break;
                case UnaryOp.Square: TensorPrimitives.Multiply(src, src, dst); break;
                default: TensorPrimitives.Max(src, T.Zero, dst); break;
            }
        });
    }

    private static void UnaryFloatKernel<T>(UnaryOp op, Tensor x, Tensor r) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var X = x.StorageAs<T>();
        var R = r.StorageAs<T>();
        int xo = x.Offset;
        int grain = op is UnaryOp.Relu or UnaryOp.Abs or UnaryOp.Square ? ElementwiseGrain : TranscendentalGrain;
        ParallelFor.Run(r.NumelCached, grain, (s, e) => UnaryFloatRow(op, new ReadOnlySpan<T>(X, xo + s, e - s), R.AsSpan(s, e - s)));
    }

    private static void UnaryFloatRow<T>(UnaryOp op, ReadOnlySpan<T> x, Span<T> d) where T : unmanaged, IFloatingPointIeee754<T>
    {
        switch (op)
        {
            case UnaryOp.Exp: VectorMath.Exp(x, d); break;
            case UnaryOp.Log: TensorPrimitives.Log(x, d); break;
            case UnaryOp.Sqrt: TensorPrimitives.Sqrt(x, d); break;
            case UnaryOp.Rsqrt: TensorPrimitives.ReciprocalSqrt(x, d); break;
            case UnaryOp.Tanh: TensorPrimitives.Tanh(x, d); break;
            case UnaryOp.Sigmoid: VectorMath.Sigmoid(x, d); break;
            case UnaryOp.Relu: TensorPrimitives.Max(x, T.Zero, d); break;
            case UnaryOp.Abs: TensorPrimitives.Abs(x, d); break;
            case UnaryOp.Square: TensorPrimitives.Multiply(x, x, d); break;
            case UnaryOp.Reciprocal: TensorPrimitives.Reciprocal(x, d); break;
            case UnaryOp.Silu:
                VectorMath.Sigmoid(x, d);
                TensorPrimitives.Multiply(d, x, d);
                break;
            case UnaryOp.Gelu:
                // x * Phi(x) with Phi = erfc(-x/sqrt2)/2: accurate in the negative tail, where 1 + erf(x/sqrt2) cancels.
                GeluBlocks(x, d, x, backward: false);
                break;
            case UnaryOp.GeluTanh:
            {
                // 0.5 x (1 + tanh(u)) = x * sigmoid(2u): one SIMD sigmoid, no cancellation for negative u.
                T k2 = T.CreateTruncating(2 * GeluTanhK), a = T.CreateTruncating(GeluTanhA);
                for (int i = 0; i < d.Length; i++)
                {
                    T v = x[i];
                    d[i] = k2 * (v + a * v * v * v);
                }
                VectorMath.Sigmoid<T>(d, d);
                TensorPrimitives.Multiply(d, x, d);
                break;
            }
            case UnaryOp.Log1p:
                for (int i = 0; i < d.Length; i++) d[i] = SpecialMath.Log1p(x[i]);
                break;
            case UnaryOp.Expm1:
                for (int i = 0; i < d.Length; i++) d[i] = SpecialMath.Expm1(x[i]);
                break;
            case UnaryOp.Erf:
                for (int i = 0; i < d.Length; i++) d[i] = T.CreateTruncating(SpecialMath.Erf(double.CreateTruncating(x[i])));
                break;
            default: throw new NotSupportedException(op.ToString());
        }
    }

    /// <summary>
    /// Exact GELU in float64 blocks: forward d = x Phi(x); backward d = g (Phi(x) + x phi(x)).
    /// </summary>
    private static void GeluBlocks<T>(ReadOnlySpan<T> x, Span<T> d, ReadOnlySpan<T> g, bool backward) where T : unmanaged, IFloatingPointIeee754<T>
    {
        const int B = SpecialMath.Block;
        Span<double> xd = stackalloc double[B];
        Span<double> phi = stackalloc double[B];
        Span<double> pdf = stackalloc double[B];
        var scratch = new double[6 * B];
        for (int s = 0; s < d.Length; s += B)
        {
            int n = Math.Min(B, d.Length - s);
            var xb = xd[..n];
            var pb = phi[..n];
            TensorPrimitives.ConvertTruncating(x.Slice(s, n), xb);
            SpecialMath.NormalCdfBlock(xb, pb, scratch.AsSpan(0, 6 * n), typeof(T) == typeof(float) ? 18 : 29);
            if (backward)
            {
                var q = pdf[..n];
                TensorPrimitives.Multiply(xb, xb, q);
                TensorPrimitives.Multiply(q, -0.5, q);
                TensorPrimitives.Exp(q, q);
                TensorPrimitives.Multiply(q, SpecialMath.InvSqrt2Pi, q);      // phi(x)
                TensorPrimitives.MultiplyAdd(xb, q, pb, pb);                   // Phi + x phi
                TensorPrimitives.ConvertTruncating(g.Slice(s, n), q);
                TensorPrimitives.Multiply(pb, q, pb);
            }
            else
            {
                TensorPrimitives.Multiply(pb, xb, pb);
            }
            TensorPrimitives.ConvertTruncating(pb, d.Slice(s, n));
        }
    }

    /// <inheritdoc/>
    public Tensor UnaryBackward(UnaryOp op, Tensor grad, Tensor x, Tensor result)
    {
        RequireFloat(grad, op.ToString().ToLowerInvariant() + " backward");
        grad = UnaryContig(grad);
        x = UnaryContig(x.dtype == grad.dtype ? x : Convert(x, grad.dtype));
        result = UnaryContig(result.dtype == grad.dtype ? result : Convert(result, grad.dtype));
        var r = Tensor.Empty(grad.dtype, (int[])grad.Sizes.Clone());
        if (grad.dtype == ScalarType.Float32) UnaryBackwardKernel<float>(op, grad, x, result, r);
        else UnaryBackwardKernel<double>(op, grad, x, result, r);
        return r;
    }

    private static void UnaryBackwardKernel<T>(UnaryOp op, Tensor grad, Tensor x, Tensor y, Tensor r) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var G = grad.StorageAs<T>();
        var X = x.StorageAs<T>();
        var Y = y.StorageAs<T>();
        var R = r.StorageAs<T>();
        int go = grad.Offset, xo = x.Offset, yo = y.Offset;
        ParallelFor.Run(r.NumelCached, TranscendentalGrain, (s, e) =>
            UnaryBackwardRow(op, new ReadOnlySpan<T>(G, go + s, e - s), new ReadOnlySpan<T>(X, xo + s, e - s),
                new ReadOnlySpan<T>(Y, yo + s, e - s), R.AsSpan(s, e - s)));
    }

    private static void UnaryBackwardRow<T>(UnaryOp op, ReadOnlySpan<T> g, ReadOnlySpan<T> x, ReadOnlySpan<T> y, Span<T> d)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        T one = T.One, two = T.CreateTruncating(2), half = T.CreateTruncating(0.5);
        int n = d.Length;
        switch (op)
        {
            case UnaryOp.Exp: TensorPrimitives.Multiply(g, y, d); break;                         // g e^x
            case UnaryOp.Log: TensorPrimitives.Divide(g, x, d); break;                           // g / x
            case UnaryOp.Sqrt: for (int i = 0; i < n; i++) d[i] = g[i] / (two * y[i]); break;   // g / (2 sqrt x)
            case UnaryOp.Rsqrt: for (int i = 0; i < n; i++) d[i] = -half * g[i] * y[i] * y[i] * y[i]; break;
            case UnaryOp.Tanh: for (int i = 0; i < n; i++) d[i] = g[i] * (one - y[i] * y[i]); break;
            case UnaryOp.Sigmoid: for (int i = 0; i < n; i++) d[i] = g[i] * y[i] * (one - y[i]); break;
            case UnaryOp.Relu: for (int i = 0; i < n; i++) d[i] = y[i] > T.Zero ? g[i] : T.Zero; break;
            case UnaryOp.Abs: for (int i = 0; i < n; i++) d[i] = x[i] > T.Zero ? g[i] : x[i] < T.Zero ? -g[i] : T.Zero; break;
            case UnaryOp.Square: for (int i = 0; i < n; i++) d[i] = two * g[i] * x[i]; break;
            case UnaryOp.Reciprocal: for (int i = 0; i < n; i++) d[i] = -g[i] * y[i] * y[i]; break;
            case UnaryOp.Log1p: for (int i = 0; i < n; i++) d[i] = g[i] / (one + x[i]); break;
            case UnaryOp.Expm1: for (int i = 0; i < n; i++) d[i] = g[i] * (y[i] + one); break;
            case UnaryOp.Silu:
                // d/dx x s(x) = s (1 + x (1 - s))
                VectorMath.Sigmoid(x, d);
                for (int i = 0; i < n; i++)
                {
                    T sg = d[i];
                    d[i] = g[i] * sg * (one + x[i] * (one - sg));
                }
                break;
            case UnaryOp.Gelu:
                // d/dx x Phi(x) = Phi(x) + x phi(x)
                GeluBlocks(x, d, g, backward: true);
                break;
            case UnaryOp.GeluTanh:
            {
                // u = k (x + a x^3), t = tanh u:  0.5 (1 + t) + 0.5 x (1 - t^2) k (1 + 3 a x^2)
                T k = T.CreateTruncating(GeluTanhK), a = T.CreateTruncating(GeluTanhA), a3 = T.CreateTruncating(3 * GeluTanhA);
                for (int i = 0; i < n; i++)
                {
                    T v = x[i];
                    d[i] = k * (v + a * v * v * v);
                }
                TensorPrimitives.Tanh(d, d);
                for (int i = 0; i < n; i++)
                {
                    T v = x[i], t = d[i];
                    d[i] = g[i] * (half * (one + t) + half * v * (one - t * t) * k * (one + a3 * v * v));
                }
                break;
            }
            case UnaryOp.Erf:
            {
                T c = T.CreateTruncating(SpecialMath.TwoOverSqrtPi);
                for (int i = 0; i < n; i++) d[i] = g[i] * c * VectorMath.Exp(-x[i] * x[i]);
                break;
            }
            default: throw new NotSupportedException(op.ToString());
        }
    }

    /// <inheritdoc/>
    public Tensor PowScalar(Tensor x, double exponent)
    {
        RequireFloat(x, "pow");
        x = UnaryContig(x);
        var r = Tensor.Empty(x.dtype, (int[])x.Sizes.Clone());
        if (x.dtype == ScalarType.Float32) PowScalarKernel<float>(x, exponent, r);
        else PowScalarKernel<double>(x, exponent, r);
        return r;
    }

    private static void PowScalarKernel<T>(Tensor x, double exponent, Tensor r) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var X = x.StorageAs<T>();
        var R = r.StorageAs<T>();
        int xo = x.Offset;
        T e = T.CreateTruncating(exponent);
        ParallelFor.Run(r.NumelCached, TranscendentalGrain, (s, end) =>
        {
            var src = new ReadOnlySpan<T>(X, xo + s, end - s);
            var dst = R.AsSpan(s, end - s);
            // The special exponents PyTorch also maps to cheaper exact kernels.
            switch (exponent)
            {
                case 0: dst.Fill(T.One); break;
                case 1: src.CopyTo(dst); break;
                case 2: TensorPrimitives.Multiply(src, src, dst); break;
                case 3:
                    TensorPrimitives.Multiply(src, src, dst);
                    TensorPrimitives.Multiply(dst, src, dst);
                    break;
                case 0.5: TensorPrimitives.Sqrt(src, dst); break;
                case -0.5: TensorPrimitives.ReciprocalSqrt(src, dst); break;
                case -1: TensorPrimitives.Reciprocal(src, dst); break;
                case -2:
                    TensorPrimitives.Multiply(src, src, dst);
                    TensorPrimitives.Reciprocal(dst, dst);
                    break;
                default: TensorPrimitives.Pow(src, e, dst); break;
            }
        });
    }

    /// <inheritdoc/>
    public Tensor Softplus(Tensor x, double beta, double threshold)
    {
        RequireFloat(x, "softplus");
        x = UnaryContig(x);
        var r = Tensor.Empty(x.dtype, (int[])x.Sizes.Clone());
        if (x.dtype == ScalarType.Float32) SoftplusKernel<float>(x, x, beta, threshold, r, false);
        else SoftplusKernel<double>(x, x, beta, threshold, r, false);
        return r;
    }

    /// <inheritdoc/>
    public Tensor SoftplusBackward(Tensor grad, Tensor x, double beta, double threshold)
    {
        RequireFloat(grad, "softplus backward");
        grad = UnaryContig(grad);
        x = UnaryContig(x.dtype == grad.dtype ? x : Convert(x, grad.dtype));
        var r = Tensor.Empty(grad.dtype, (int[])grad.Sizes.Clone());
        if (grad.dtype == ScalarType.Float32) SoftplusKernel<float>(x, grad, beta, threshold, r, true);
        else SoftplusKernel<double>(x, grad, beta, threshold, r, true);
        return r;
    }

    private static void SoftplusKernel<T>(Tensor x, Tensor grad, double beta, double threshold, Tensor r, bool backward)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var X = x.StorageAs<T>();
        var G = grad.StorageAs<T>();
        var R = r.StorageAs<T>();
        int xo = x.Offset, go = grad.Offset;
        T b = T.CreateTruncating(beta), th = T.CreateTruncating(threshold);
        ParallelFor.Run(r.NumelCached, TranscendentalGrain, (s, e) =>
        {
            for (int i = s; i < e; i++)
            {
                T v = X[xo + i], bx = b * v;
                if (!backward) R[i] = bx > th ? v : SpecialMath.Log1p(T.Exp(bx)) / b;
                else
                {
                    T z = T.Exp(bx);
                    R[i] = bx > th ? G[go + i] : G[go + i] * z / (z + T.One);
                }
            }
        });
    }

    /// <inheritdoc/>
    public Tensor Clamp(Tensor x, double? min, double? max)
    {
        x = UnaryContig(x);
        var r = Tensor.Empty(x.dtype, (int[])x.Sizes.Clone());
        switch (x.dtype)
        {
            case ScalarType.Float32: ClampKernel<float>(x, min, max, r); break;
            case ScalarType.Float64: ClampKernel<double>(x, min, max, r); break;
            case ScalarType.Int64: ClampKernel<long>(x, min, max, r); break;
            case ScalarType.Int32: ClampKernel<int>(x, min, max, r); break;
            default: throw new NotSupportedException($"clamp: not supported for {x.dtype.TorchName()} tensors");
        }
        return r;
    }

    private static void ClampKernel<T>(Tensor x, double? min, double? max, Tensor r) where T : unmanaged, INumber<T>
    {
        var X = x.StorageAs<T>();
        var R = r.StorageAs<T>();
        int xo = x.Offset;
        ParallelFor.Run(r.NumelCached, ElementwiseGrain, (s, e) =>
        {
            ReadOnlySpan<T> src = new(X, xo + s, e - s);
            var dst = R.AsSpan(s, e - s);
            // max then min: with min > max every element becomes max, as in PyTorch; NaN propagates.
            if (min is double lo)
            {
                TensorPrimitives.Max(src, T.CreateSaturating(lo), dst);
                src = dst;
            }
            if (max is double hi) TensorPrimitives.Min(src, T.CreateSaturating(hi), dst);
            else if (min is null) src.CopyTo(dst);
        });
    }
}
