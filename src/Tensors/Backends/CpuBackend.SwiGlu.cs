// CPU SwiGLU gate: silu(gate) * up and its two gradients in one pass over blocks that stay in L1 (SIMD through
// TensorPrimitives, the sigmoid through VectorMath), instead of silu, multiply and three backward kernels with their temporaries.
using System.Numerics;
using System.Numerics.Tensors;

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

    private static void SwiGluForward<T>(Tensor gate, Tensor up, Tensor r) where T : unmanaged, IFloatingPointIeee754<T>
    {
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
}
