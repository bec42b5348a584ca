// Kernel family: the SwiGLU gate, silu(gate) * up (Shazeer 2020, "GLU Variants Improve Transformer", eq. for FFN_SwiGLU),
// forward and backward each as one element-wise pass; also on the two halves of one gate-up product (..., 2h).
namespace PluginMoE.Tensors.Backends;

public partial interface IBackend
{
    /// <summary>
    /// A new contiguous tensor <c>silu(gate) * up</c>, where <c>silu(x) = x * sigmoid(x)</c>; <paramref name="gate"/> and
    /// <paramref name="up"/> have one shape and one floating dtype. The default composes <see cref="Unary"/> and
    /// <see cref="Binary"/>; the CPU backend runs one fused pass with the same rounding as that composition.
    /// </summary>
    Tensor SwiGlu(Tensor gate, Tensor up) => Binary(BinaryOp.Mul, Unary(UnaryOp.Silu, gate), up);

    /// <summary>
    /// The gradients of <see cref="SwiGlu"/> for the output gradient <paramref name="grad"/>:
    /// <c>dgate = grad * up * s * (1 + gate * (1 - s))</c> with <c>s = sigmoid(gate)</c>, and <c>dup = grad * silu(gate)</c>.
    /// All three tensors have one shape and dtype. The default composes existing kernels; the CPU backend runs one pass.
    /// </summary>
    (Tensor Gate, Tensor Up) SwiGluBackward(Tensor grad, Tensor gate, Tensor up)
    {
        var silu = Unary(UnaryOp.Silu, gate);
        return (UnaryBackward(UnaryOp.Silu, Binary(BinaryOp.Mul, grad, up), gate, silu), Binary(BinaryOp.Mul, grad, silu));
    }

    /// <summary>
    /// A new contiguous tensor <c>silu(gate) * up</c> of shape (..., h) from one gate-up tensor <paramref name="gateUp"/>
    /// (..., 2h) whose last dimension holds the gate in its first half and the up in its second (as one product
    /// <c>x [Wg; Wu]^T</c> yields them). The default runs <see cref="SwiGlu"/> on the two strided halves; the CPU backend
    /// reads them in place, row by row, with the rounding of <see cref="SwiGlu"/>.
    /// </summary>
    Tensor SwiGluHalves(Tensor gateUp)
    {
        var (gate, up) = SwiGluHalvesParts.Split(gateUp);
        return SwiGlu(gate, up);
    }

    /// <summary>
    /// The gradient of <see cref="SwiGluHalves"/> for the output gradient <paramref name="grad"/> (..., h): one tensor
    /// (..., 2h) holding dgate in the first half of its last dimension and dup in the second (the formulas of
    /// <see cref="SwiGluBackward"/>). The default composes <see cref="SwiGluBackward"/> and <see cref="Cat"/>.
    /// </summary>
    Tensor SwiGluHalvesBackward(Tensor grad, Tensor gateUp)
    {
        var (gate, up) = SwiGluHalvesParts.Split(gateUp);
        var (dg, du) = SwiGluBackward(grad, gate, up);
        return Cat([dg, du], gateUp.Sizes.Length - 1);
    }
}

/// <summary>The gate and up halves of a gate-up tensor as views (the default <see cref="IBackend.SwiGluHalves"/>).</summary>
internal static class SwiGluHalvesParts
{
    /// <summary>Views of the first and second half of the last dimension.</summary>
    public static (Tensor Gate, Tensor Up) Split(Tensor gateUp)
    {
        int rank = gateUp.Sizes.Length;
        if (rank == 0 || gateUp.Sizes[^1] % 2 != 0)
            throw new ArgumentException($"swiglu: a gate-up tensor needs an even last dimension (gate then up), got shape {Shape.Format(gateUp.Sizes)}");
        var sizes = (int[])gateUp.Sizes.Clone();
        int h = sizes[^1] / 2;
        sizes[^1] = h;
        var strides = (int[])gateUp.Strides.Clone();
        return (new Tensor(gateUp.Storage, sizes, strides, gateUp.Offset, gateUp.dtype),
            new Tensor(gateUp.Storage, (int[])sizes.Clone(), (int[])strides.Clone(), gateUp.Offset + h * strides[^1], gateUp.dtype));
    }
}
