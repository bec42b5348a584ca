// CPU SwiGLU gate: silu(gate) * up and its two gradients in one pass, instead of silu, multiply and three backward kernels
// with their temporaries, on two tensors or on the two halves of one (R, 2h) product [x Wg^T, x Wu^T] (gate and up
// computed as one GEMM: no copy of the strided halves). Float32 on 256/512-bit vectors runs one register-level loop
// (sigmoid from VectorMath, then the products, each value read and written once); other types and machines run the same
// operations in the same order as passes over blocks that stay in L1 (TensorPrimitives), so both paths give bitwise equal
// results. The grouped SwiGLU FFN kernel calls the same span kernels on its in-cache blocks.
using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.Intrinsics;

namespace PluginMoE.Tensors.Backends;

public sealed partial class CpuBackend
{
    /// <summary>Elements per block of the fused SwiGLU kernels (the scratch lives on the stack).</summary>
    private const int SwiGluBlock = 512;

    private Tensor SwiGluOperand(Tensor t, Tensor like, string op)
    {
        if (!Shape.Equal(t.Sizes, like.Sizes) || t.dtype != like.dtype)
            throw new ArgumentException($"{op}: operands must have one shape and dtype, got {t.dtype.TorchName()} {Shape.Format(t.Sizes)} and {like.dtype.TorchName()} {Shape.Format(like.Sizes)}");
        return UnaryContig(t);
    }

    /// <inheritdoc/>
    public Tensor SwiGlu(Tensor gate, Tensor up)
    {
        ArgumentNullException.ThrowIfNull(gate);
        ArgumentNullException.ThrowIfNull(up);
        RequireFloat(gate, "swiglu");
        gate = SwiGluOperand(gate, gate, "swiglu");
        up = SwiGluOperand(up, gate, "swiglu");
        var r = Tensor.Empty(gate.dtype, (int[])gate.Sizes.Clone());
        if (gate.dtype == ScalarType.Float32) SwiGluRows<float>(gate, 0, up, 0, 1, r.NumelCached, r);
        else SwiGluRows<double>(gate, 0, up, 0, 1, r.NumelCached, r);
        return r;
    }

    /// <inheritdoc/>
    public (Tensor Gate, Tensor Up) SwiGluBackward(Tensor grad, Tensor gate, Tensor up)
    {
        ArgumentNullException.ThrowIfNull(grad);
        ArgumentNullException.ThrowIfNull(gate);
        ArgumentNullException.ThrowIfNull(up);
        RequireFloat(grad, "swiglu backward");
        grad = SwiGluOperand(grad, grad, "swiglu backward");
        gate = SwiGluOperand(gate, grad, "swiglu backward");
        up = SwiGluOperand(up, grad, "swiglu backward");
        var dg = Tensor.Empty(grad.dtype, (int[])grad.Sizes.Clone());
        var du = Tensor.Empty(grad.dtype, (int[])grad.Sizes.Clone());
        int n = grad.NumelCached;
        if (grad.dtype == ScalarType.Float32) SwiGluBackwardRows<float>(grad, gate, 0, up, 0, 1, n, dg, 0, du, 0);
        else SwiGluBackwardRows<double>(grad, gate, 0, up, 0, 1, n, dg, 0, du, 0);
        return (dg, du);
    }

    /// <inheritdoc/>
    public Tensor SwiGluHalves(Tensor gateUp)
    {
        ArgumentNullException.ThrowIfNull(gateUp);
        RequireFloat(gateUp, "swiglu");
        gateUp = UnaryContig(gateUp);
        var (rows, h) = HalvesShape(gateUp);
        var sizes = (int[])gateUp.Sizes.Clone();
        sizes[^1] = h;
        var r = Tensor.Empty(gateUp.dtype, sizes);
        if (gateUp.dtype == ScalarType.Float32) SwiGluRows<float>(gateUp, 2 * h, gateUp, 2 * h, rows, h, r, h);
        else SwiGluRows<double>(gateUp, 2 * h, gateUp, 2 * h, rows, h, r, h);
        return r;
    }

    /// <inheritdoc/>
    public Tensor SwiGluHalvesBackward(Tensor grad, Tensor gateUp)
    {
        ArgumentNullException.ThrowIfNull(grad);
        ArgumentNullException.ThrowIfNull(gateUp);
        RequireFloat(grad, "swiglu backward");
        gateUp = UnaryContig(gateUp);
        grad = UnaryContig(grad);
        var (rows, h) = HalvesShape(gateUp);
        if (grad.NumelCached != rows * h || grad.dtype != gateUp.dtype)
            throw new ArgumentException($"swiglu backward: gradient {grad.dtype.TorchName()} {Shape.Format(grad.Sizes)} does not fit gate-up {gateUp.dtype.TorchName()} {Shape.Format(gateUp.Sizes)}");
        var d = Tensor.Empty(gateUp.dtype, (int[])gateUp.Sizes.Clone());
        if (grad.dtype == ScalarType.Float32) SwiGluBackwardRows<float>(grad, gateUp, 2 * h, gateUp, 2 * h, rows, h, d, 2 * h, d, 2 * h, halves: true);
        else SwiGluBackwardRows<double>(grad, gateUp, 2 * h, gateUp, 2 * h, rows, h, d, 2 * h, d, 2 * h, halves: true);
        return d;
    }

    /// <summary>Rows (all dimensions but the last) and the half width h of a contiguous (..., 2h) gate-up tensor.</summary>
    private static (int Rows, int H) HalvesShape(Tensor gateUp)
    {
        int last = gateUp.Sizes.Length == 0 ? 0 : gateUp.Sizes[^1];
        if (gateUp.Sizes.Length == 0 || last % 2 != 0)
            throw new ArgumentException($"swiglu: a gate-up tensor needs an even last dimension (gate then up), got shape {Shape.Format(gateUp.Sizes)}");
        int h = last / 2;
        return (h == 0 ? 0 : gateUp.NumelCached / last, h);
    }

    /// <summary>Whether the float32 SwiGLU kernels run their register-level loops (256- or 512-bit vectors); tests turn it off to compare with the block path.</summary>
    internal static bool SwiGluRegisterLoops = Vector256.IsHardwareAccelerated;

    /// <summary>
    /// r[i, :] = silu(g[i, :]) * u[i, :] for <paramref name="rows"/> rows of <paramref name="n"/> elements, the gate rows
    /// <paramref name="gStride"/> apart from gate's offset, the up rows <paramref name="uStride"/> apart from up's offset
    /// plus <paramref name="n"/> when both are one tensor (halves), the result rows <paramref name="n"/> apart. With one row,
    /// the elements are split over the threads; with several, the rows are.
    /// </summary>
    private static unsafe void SwiGluRows<T>(Tensor gate, int gStride, Tensor up, int uStride, int rows, int n, Tensor r, int halvesOffset = 0)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        fixed (T* pg0 = gate.StorageAs<T>(), pu0 = up.StorageAs<T>(), pr0 = r.StorageAs<T>())
        {
            nint pg = (nint)(pg0 + gate.Offset), pu = (nint)(pu0 + up.Offset + halvesOffset), pr = (nint)(pr0 + r.Offset);
            if (rows == 1)
                ParallelFor.Run(n, TranscendentalGrain, (s, e) => SwiGluSpan((T*)pg + s, (T*)pu + s, (T*)pr + s, e - s));
            else
                ParallelFor.Run(rows, Math.Max(1, TranscendentalGrain / Math.Max(n, 1)), (s, e) =>
                {
                    for (int i = s; i < e; i++) SwiGluSpan((T*)pg + (nint)i * gStride, (T*)pu + (nint)i * uStride, (T*)pr + (nint)i * n, n);
                });
        }
    }

    /// <summary>
    /// The gradients of <see cref="SwiGluRows{T}"/>: grad rows <paramref name="n"/> apart; with <paramref name="halves"/>
    /// the up operand and dup sit <paramref name="n"/> after the gate and dgate in their rows.
    /// </summary>
    private static unsafe void SwiGluBackwardRows<T>(Tensor grad, Tensor gate, int gStride, Tensor up, int uStride, int rows, int n,
        Tensor dg, int dgStride, Tensor du, int duStride, bool halves = false)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int shift = halves ? n : 0;
        fixed (T* pgr0 = grad.StorageAs<T>(), pg0 = gate.StorageAs<T>(), pu0 = up.StorageAs<T>(), pdg0 = dg.StorageAs<T>(), pdu0 = du.StorageAs<T>())
        {
            nint pgr = (nint)(pgr0 + grad.Offset), pg = (nint)(pg0 + gate.Offset), pu = (nint)(pu0 + up.Offset + shift);
            nint pdg = (nint)(pdg0 + dg.Offset), pdu = (nint)(pdu0 + du.Offset + shift);
            if (rows == 1)
                ParallelFor.Run(n, TranscendentalGrain, (s, e) =>
                    SwiGluBackwardSpan((T*)pgr + s, (T*)pg + s, (T*)pu + s, (T*)pdg + s, (T*)pdu + s, null, e - s));
            else
                ParallelFor.Run(rows, Math.Max(1, TranscendentalGrain / Math.Max(n, 1)), (s, e) =>
                {
                    for (int i = s; i < e; i++)
                        SwiGluBackwardSpan((T*)pgr + (nint)i * n, (T*)pg + (nint)i * gStride, (T*)pu + (nint)i * uStride,
                            (T*)pdg + (nint)i * dgStride, (T*)pdu + (nint)i * duStride, null, n);
                });
        }
    }

    /// <summary>d = silu(g) * u over n elements, as (sigmoid(g) g) u; <paramref name="d"/> may be <paramref name="g"/>.</summary>
    private static unsafe void SwiGluSpan<T>(T* g, T* u, T* d, int n) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (typeof(T) == typeof(float) && SwiGluRegisterLoops)
        {
            SwiGluF32((float*)g, (float*)u, (float*)d, n);
            return;
        }
        // Block by block, so that the three passes over a block read it from L1 (as the backward does).
        Span<T> t = stackalloc T[SwiGluBlock];
        for (int b = 0; b < n; b += SwiGluBlock)
        {
            int c = Math.Min(SwiGluBlock, n - b);
            var gs = new ReadOnlySpan<T>(g + b, c);
            var tt = t[..c];
            VectorMath.Sigmoid(gs, tt);
            TensorPrimitives.Multiply(tt, gs, tt);
            TensorPrimitives.Multiply(tt, new ReadOnlySpan<T>(u + b, c), new Span<T>(d + b, c));
        }
    }

    /// <summary>
    /// dgate and dup from grad, gate and up over n elements (formulas of <see cref="IBackend.SwiGluBackward"/>); with
    /// <paramref name="a"/> set also the activation A = silu(gate) up. Every output may be one of the inputs (each element
    /// is read before it is written): the grouped SwiGLU FFN writes dgate over the gate, dup over the up and A over grad.
    /// </summary>
    private static unsafe void SwiGluBackwardSpan<T>(T* gr, T* g, T* u, T* dg, T* du, T* a, int n) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (typeof(T) == typeof(float) && SwiGluRegisterLoops)
        {
            SwiGluBackwardF32((float*)gr, (float*)g, (float*)u, (float*)dg, (float*)du, (float*)a, n);
            return;
        }
        Span<T> sig = stackalloc T[SwiGluBlock];
        Span<T> t = stackalloc T[SwiGluBlock];
        Span<T> dgb = stackalloc T[SwiGluBlock];
        Span<T> dub = stackalloc T[SwiGluBlock];
        Span<T> ab = a != null ? stackalloc T[SwiGluBlock] : default;
        T one = T.One;
        for (int b = 0; b < n; b += SwiGluBlock)
        {
            int c = Math.Min(SwiGluBlock, n - b);
            var grs = new ReadOnlySpan<T>(gr + b, c);
            var gs = new ReadOnlySpan<T>(g + b, c);
            var us = new ReadOnlySpan<T>(u + b, c);
            var sg = sig[..c];
            var tt = t[..c];
            var dgs = dgb[..c];
            var dus = dub[..c];
            VectorMath.Sigmoid<T>(gs, sg);              // s
            TensorPrimitives.Multiply(sg, gs, tt);      // silu = s g
            TensorPrimitives.Multiply(grs, tt, dus);    // dup = grad silu
            if (a != null) TensorPrimitives.Multiply(tt, us, ab[..c]); // A = silu u
            TensorPrimitives.Subtract(gs, tt, tt);      // g - s g = g (1 - s)
            TensorPrimitives.Add(tt, one, tt);          // 1 + g (1 - s)
            TensorPrimitives.Multiply(tt, sg, tt);      // s (1 + g (1 - s)) = silu'(g)
            TensorPrimitives.Multiply(grs, us, dgs);    // grad up
            TensorPrimitives.Multiply(dgs, tt, dgs);    // dgate
            dgs.CopyTo(new Span<T>(dg + b, c));         // the outputs last: they may overwrite inputs of this block
            dus.CopyTo(new Span<T>(du + b, c));
            if (a != null) ab[..c].CopyTo(new Span<T>(a + b, c));
        }
    }

    // d = (sigmoid(g) * g) * u, one vector at a time.
    private static unsafe void SwiGluF32(float* g, float* u, float* d, int n)
    {
        int i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            for (; i <= n - Vector512<float>.Count; i += Vector512<float>.Count)
            {
                var gi = Vector512.Load(g + i);
                (VectorMath.Sigmoid(gi) * gi * Vector512.Load(u + i)).Store(d + i);
            }
        }
        for (; i <= n - Vector256<float>.Count; i += Vector256<float>.Count)
        {
            var gi = Vector256.Load(g + i);
            (VectorMath.Sigmoid(gi) * gi * Vector256.Load(u + i)).Store(d + i);
        }
        for (; i < n; i++)
        {
            float gi = g[i];
            d[i] = VectorMath.Sigmoid(gi) * gi * u[i];
        }
    }

    // s = sigmoid(g); silu = s g; du = grad silu; dg = (grad u) (((g - silu) + 1) s); a = silu u; one vector at a time,
    // every input loaded before any output is stored.
    private static unsafe void SwiGluBackwardF32(float* gr, float* g, float* u, float* dg, float* du, float* a, int n)
    {
        int i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            for (; i <= n - Vector512<float>.Count; i += Vector512<float>.Count)
            {
                var gi = Vector512.Load(g + i);
                var gri = Vector512.Load(gr + i);
                var ui = Vector512.Load(u + i);
                var sg = VectorMath.Sigmoid(gi);
                var silu = sg * gi;
                var deriv = (gi - silu + Vector512<float>.One) * sg;
                (gri * silu).Store(du + i);
                (gri * ui * deriv).Store(dg + i);
                if (a != null) (silu * ui).Store(a + i);
            }
        }
        for (; i <= n - Vector256<float>.Count; i += Vector256<float>.Count)
        {
            var gi = Vector256.Load(g + i);
            var gri = Vector256.Load(gr + i);
            var ui = Vector256.Load(u + i);
            var sg = VectorMath.Sigmoid(gi);
            var silu = sg * gi;
            var deriv = (gi - silu + Vector256<float>.One) * sg;
            (gri * silu).Store(du + i);
            (gri * ui * deriv).Store(dg + i);
            if (a != null) (silu * ui).Store(a + i);
        }
        for (; i < n; i++)
        {
            float gi = g[i], gri = gr[i], ui = u[i];
            float sg = VectorMath.Sigmoid(gi);
            float silu = sg * gi;
            float deriv = (gi - silu + 1f) * sg;
            du[i] = gri * silu;
            dg[i] = gri * ui * deriv;
            if (a != null) a[i] = silu * ui;
        }
    }
}
