// CPU SwiGLU gate: silu(gate) * up and its two gradients in one pass, instead of silu, multiply and three backward kernels
// with their temporaries. Float32 on 256/512-bit vectors runs one register-level loop (sigmoid from VectorMath, then the
// products, each value read and written once); other types and machines run the same operations in the same order as
// passes over blocks that stay in L1 (TensorPrimitives), so both paths give bitwise equal results.
using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
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
        if (gate.dtype == ScalarType.Float32) SwiGluForward<float>(gate, up, r);
        else SwiGluForward<double>(gate, up, r);
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
        if (grad.dtype == ScalarType.Float32) SwiGluBackwardKernel<float>(grad, gate, up, dg, du);
        else SwiGluBackwardKernel<double>(grad, gate, up, dg, du);
        return (dg, du);
    }

    /// <summary>Whether the float32 SwiGLU kernels run their register-level loops (256- or 512-bit vectors); tests turn it off to compare with the block path.</summary>
    internal static bool SwiGluRegisterLoops = Vector256.IsHardwareAccelerated;

    private static void SwiGluForward<T>(Tensor gate, Tensor up, Tensor r) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (typeof(T) == typeof(float) && SwiGluRegisterLoops)
        {
            SwiGluForwardF32(gate, up, r);
            return;
        }
        var G = gate.StorageAs<T>();
        var U = up.StorageAs<T>();
        var R = r.StorageAs<T>();
        int go = gate.Offset, uo = up.Offset;
        ParallelFor.Run(r.NumelCached, TranscendentalGrain, (s, e) =>
        {
            // Block by block, so that the three passes over a block read it from L1 (as the backward does).
            for (int b = s; b < e; b += SwiGluBlock)
            {
                int n = Math.Min(SwiGluBlock, e - b);
                var g = new ReadOnlySpan<T>(G, go + b, n);
                var u = new ReadOnlySpan<T>(U, uo + b, n);
                var d = R.AsSpan(b, n);
                // (sigmoid(g) * g) * u: the rounding of silu(g) followed by a multiply.
                VectorMath.Sigmoid(g, d);
                TensorPrimitives.Multiply(d, g, d);
                TensorPrimitives.Multiply(d, u, d);
            }
        });
    }

    private static void SwiGluBackwardKernel<T>(Tensor grad, Tensor gate, Tensor up, Tensor dgOut, Tensor duOut) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (typeof(T) == typeof(float) && SwiGluRegisterLoops)
        {
            SwiGluBackwardF32(grad, gate, up, dgOut, duOut);
            return;
        }
        var Gr = grad.StorageAs<T>();
        var G = gate.StorageAs<T>();
        var U = up.StorageAs<T>();
        var DG = dgOut.StorageAs<T>();
        var DU = duOut.StorageAs<T>();
        int gro = grad.Offset, go = gate.Offset, uo = up.Offset;
        T one = T.One;
        ParallelFor.Run(dgOut.NumelCached, TranscendentalGrain, (s, e) =>
        {
            Span<T> sig = stackalloc T[SwiGluBlock];
            Span<T> t = stackalloc T[SwiGluBlock];
            for (int b = s; b < e; b += SwiGluBlock)
            {
                int n = Math.Min(SwiGluBlock, e - b);
                var gr = new ReadOnlySpan<T>(Gr, gro + b, n);
                var g = new ReadOnlySpan<T>(G, go + b, n);
                var u = new ReadOnlySpan<T>(U, uo + b, n);
                var dg = DG.AsSpan(b, n);
                var du = DU.AsSpan(b, n);
                var sg = sig[..n];
                var tt = t[..n];
                VectorMath.Sigmoid<T>(g, sg);              // s
                TensorPrimitives.Multiply(sg, g, tt);      // silu = s g
                TensorPrimitives.Multiply(gr, tt, du);     // dup = grad silu
                TensorPrimitives.Subtract(g, tt, tt);      // g - s g = g (1 - s)
                TensorPrimitives.Add(tt, one, tt);         // 1 + g (1 - s)
                TensorPrimitives.Multiply(tt, sg, tt);     // s (1 + g (1 - s)) = silu'(g)
                TensorPrimitives.Multiply(gr, u, dg);      // grad up
                TensorPrimitives.Multiply(dg, tt, dg);     // dgate
            }
        });
    }

    // r = (sigmoid(g) * g) * u, one vector at a time.
    private static void SwiGluForwardF32(Tensor gate, Tensor up, Tensor r)
    {
        var G = gate.StorageAs<float>();
        var U = up.StorageAs<float>();
        var R = r.StorageAs<float>();
        int go = gate.Offset, uo = up.Offset;
        ParallelFor.Run(r.NumelCached, TranscendentalGrain, (s, e) =>
        {
            ref float g = ref G[go + s];
            ref float u = ref U[uo + s];
            ref float d = ref R[s];
            int n = e - s, i = 0;
            if (Vector512.IsHardwareAccelerated)
            {
                for (; i <= n - Vector512<float>.Count; i += Vector512<float>.Count)
                {
                    var gi = Vector512.LoadUnsafe(ref g, (nuint)i);
                    (VectorMath.Sigmoid(gi) * gi * Vector512.LoadUnsafe(ref u, (nuint)i)).StoreUnsafe(ref d, (nuint)i);
                }
            }
            for (; i <= n - Vector256<float>.Count; i += Vector256<float>.Count)
            {
                var gi = Vector256.LoadUnsafe(ref g, (nuint)i);
                (VectorMath.Sigmoid(gi) * gi * Vector256.LoadUnsafe(ref u, (nuint)i)).StoreUnsafe(ref d, (nuint)i);
            }
            for (; i < n; i++)
            {
                float gi = Unsafe.Add(ref g, i);
                Unsafe.Add(ref d, i) = VectorMath.Sigmoid(gi) * gi * Unsafe.Add(ref u, i);
            }
        });
    }

    // s = sigmoid(g); silu = s g; du = grad silu; dg = (grad u) (((g - silu) + 1) s), one vector at a time.
    private static void SwiGluBackwardF32(Tensor grad, Tensor gate, Tensor up, Tensor dgOut, Tensor duOut)
    {
        var Gr = grad.StorageAs<float>();
        var G = gate.StorageAs<float>();
        var U = up.StorageAs<float>();
        var DG = dgOut.StorageAs<float>();
        var DU = duOut.StorageAs<float>();
        int gro = grad.Offset, go = gate.Offset, uo = up.Offset;
        ParallelFor.Run(dgOut.NumelCached, TranscendentalGrain, (s, e) =>
        {
            ref float gr = ref Gr[gro + s];
            ref float g = ref G[go + s];
            ref float u = ref U[uo + s];
            ref float dg = ref DG[s];
            ref float du = ref DU[s];
            int n = e - s, i = 0;
            if (Vector512.IsHardwareAccelerated)
            {
                for (; i <= n - Vector512<float>.Count; i += Vector512<float>.Count)
                {
                    var gi = Vector512.LoadUnsafe(ref g, (nuint)i);
                    var gri = Vector512.LoadUnsafe(ref gr, (nuint)i);
                    var sg = VectorMath.Sigmoid(gi);
                    var silu = sg * gi;
                    (gri * silu).StoreUnsafe(ref du, (nuint)i);
                    var deriv = (gi - silu + Vector512<float>.One) * sg;
                    (gri * Vector512.LoadUnsafe(ref u, (nuint)i) * deriv).StoreUnsafe(ref dg, (nuint)i);
                }
            }
            for (; i <= n - Vector256<float>.Count; i += Vector256<float>.Count)
            {
                var gi = Vector256.LoadUnsafe(ref g, (nuint)i);
                var gri = Vector256.LoadUnsafe(ref gr, (nuint)i);
                var sg = VectorMath.Sigmoid(gi);
                var silu = sg * gi;
                (gri * silu).StoreUnsafe(ref du, (nuint)i);
                var deriv = (gi - silu + Vector256<float>.One) * sg;
                (gri * Vector256.LoadUnsafe(ref u, (nuint)i) * deriv).StoreUnsafe(ref dg, (nuint)i);
            }
            for (; i < n; i++)
            {
                float gi = Unsafe.Add(ref g, i), gri = Unsafe.Add(ref gr, i);
                float sg = VectorMath.Sigmoid(gi);
                float silu = sg * gi;
                Unsafe.Add(ref du, i) = gri * silu;
                float deriv = (gi - silu + 1f) * sg;
                Unsafe.Add(ref dg, i) = gri * Unsafe.Add(ref u, i) * deriv;
            }
        });
    }
}
