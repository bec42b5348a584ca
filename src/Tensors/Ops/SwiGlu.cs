// The SwiGLU gate silu(gate) * up (Shazeer 2020, "GLU Variants Improve Transformer": FFN_SwiGLU = (Swish(xW) * xV) W2)
// as one fused op with one fused backward, for SwiGLU experts and the dense Llama MLP; also on one gate-up tensor whose
// last dimension holds gate then up (the product x [Wg; Wu]^T of the routed experts' fused gate-up GEMM).
namespace PluginMoE.Tensors;

public static partial class torch
{
    public static partial class nn
    {
        public static partial class functional
        {
            /// <summary>
            /// <c>silu(gate) * up</c> element-wise in one pass (the same values as <c>silu(gate) * up</c> written out),
            /// with a one-pass backward: <c>dgate = g * up * s * (1 + gate * (1 - s))</c>, <c>dup = g * silu(gate)</c>
            /// for <c>s = sigmoid(gate)</c>. Both operands have one shape (no broadcasting) and one floating dtype.
            /// </summary>
            /// <exception cref="ArgumentException">The shapes or dtypes differ.</exception>
            /// <exception cref="NotSupportedException">The operands are not float32 or float64.</exception>
            public static Tensor swiglu(Tensor gate, Tensor up) => Tensor.SwiGluGate(gate, up);

            /// <summary>
            /// <c>silu(gate) * up</c> where <paramref name="gateUp"/> (..., 2h) holds the gate in the first half of its last
            /// dimension and the up in the second, as one product <c>x [Wg; Wu]^T</c> yields them: the result (..., h)
            /// equals <c>swiglu(gateUp[..., :h], gateUp[..., h:])</c> bit for bit, without copying the strided halves, and
            /// the backward gives one (..., 2h) gradient [dgate, dup], so the gate-up product's own backward runs as one
            /// GEMM with K = 2h.
            /// </summary>
            /// <exception cref="ArgumentException">The last dimension is not even.</exception>
            /// <exception cref="NotSupportedException">The tensor is not float32 or float64.</exception>
            public static Tensor swiglu_chunked(Tensor gateUp) => Tensor.SwiGluHalves(gateUp);
        }
    }
}

public partial class Tensor
{
    internal static Tensor SwiGluGate(Tensor gate, Tensor up)
    {
        ArgumentNullException.ThrowIfNull(gate);
        ArgumentNullException.ThrowIfNull(up);
        if (!Shape.Equal(gate.Sizes, up.Sizes))
            throw new ArgumentException($"swiglu: gate {Shape.Format(gate.Sizes)} and up {Shape.Format(up.Sizes)} must have the same shape");
        if (gate.dtype != up.dtype)
            throw new ArgumentException($"swiglu: gate is {gate.dtype.TorchName()} but up is {up.dtype.TorchName()}; convert one with to()");
        if (gate.dtype is not (ScalarType.Float32 or ScalarType.Float64))
            throw new NotSupportedException($"swiglu: {gate.dtype.TorchName()} tensors are not supported; use float32 or float64");
        var be = gate.backend;
        var r = be.SwiGlu(gate, up);
        return Record(r, "SwiGluBackward", [gate, up], g =>
        {
            var (dg, du) = be.SwiGluBackward(g, gate, up);
            return [gate.requires_grad ? dg : null, up.requires_grad ? du : null];
        });
    }

    internal static Tensor SwiGluHalves(Tensor gateUp)
    {
        ArgumentNullException.ThrowIfNull(gateUp);
        if (gateUp.dim() == 0 || gateUp.Sizes[^1] % 2 != 0)
            throw new ArgumentException($"swiglu: a gate-up tensor needs an even last dimension (gate then up), got shape {Shape.Format(gateUp.Sizes)}");
        if (gateUp.dtype is not (ScalarType.Float32 or ScalarType.Float64))
            throw new NotSupportedException($"swiglu: {gateUp.dtype.TorchName()} tensors are not supported; use float32 or float64");
        var be = gateUp.backend;
        var r = be.SwiGluHalves(gateUp);
        return Record(r, "SwiGluBackward", [gateUp], g => [be.SwiGluHalvesBackward(g, gateUp)]);
    }
}
