// Kernel family: the SwiGLU gate, silu(gate) * up (Shazeer 2020, "GLU Variants Improve Transformer", eq. for FFN_SwiGLU),
// forward and backward each as one element-wise pass.
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
}
