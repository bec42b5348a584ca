// Kernel family: element-wise unary math and activations (forward and fused backward), pow by a scalar,
// softplus and clamp.
namespace PluginMoE.Tensors.Backends;

/// <summary>Element-wise unary functions with a kernel and a fused gradient kernel.</summary>
public enum UnaryOp
{
    /// <summary>exp(x)</summary>
    Exp,
    /// <summary>log(x)</summary>
    Log,
    /// <summary>sqrt(x)</summary>
    Sqrt,
    /// <summary>1/sqrt(x)</summary>
    Rsqrt,
    /// <summary>tanh(x)</summary>
    Tanh,
    /// <summary>1/(1+exp(-x))</summary>
    Sigmoid,
    /// <summary>max(x, 0)</summary>
    Relu,
    /// <summary>x * sigmoid(x) (SiLU / swish)</summary>
    Silu,
    /// <summary>x * Phi(x), Phi the standard normal CDF (GELU, exact erf form)</summary>
    Gelu,
    /// <summary>0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))) (GELU, tanh approximation)</summary>
    GeluTanh,
    /// <summary>|x|</summary>
    Abs,
    /// <summary>x * x</summary>
    Square,
    /// <summary>1/x</summary>
    Reciprocal,
    /// <summary>log(1 + x)</summary>
    Log1p,
    /// <summary>exp(x) - 1</summary>
    Expm1,
    /// <summary>erf(x)</summary>
    Erf,
}

public partial interface IBackend
{
    /// <summary>
    /// <paramref name="op"/> applied to every element of <paramref name="x"/> (any layout; float32/float64, and
    /// int32/int64 for <see cref="UnaryOp.Abs"/>, <see cref="UnaryOp.Square"/> and <see cref="UnaryOp.Relu"/>).
    /// Returns a new contiguous tensor.
    /// </summary>
    Tensor Unary(UnaryOp op, Tensor x);

    /// <summary>
    /// Gradient of <paramref name="op"/>: <paramref name="grad"/> * op'(x), computed in one pass from the input
    /// <paramref name="x"/> and/or the forward result <paramref name="result"/> (all the same shape, float types).
    /// </summary>
    Tensor UnaryBackward(UnaryOp op, Tensor grad, Tensor x, Tensor result);

    /// <summary><paramref name="x"/> raised to the scalar power <paramref name="exponent"/> (float types).</summary>
    Tensor PowScalar(Tensor x, double exponent);

    /// <summary>
    /// softplus: log(1 + exp(beta x)) / beta, and x itself where beta x &gt; <paramref name="threshold"/> (float types).
    /// </summary>
    Tensor Softplus(Tensor x, double beta, double threshold);

    /// <summary>Gradient of <see cref="Softplus"/>: grad * sigmoid(beta x), or grad where beta x &gt; threshold.</summary>
    Tensor SoftplusBackward(Tensor grad, Tensor x, double beta, double threshold);

    /// <summary>Elements limited to [<paramref name="min"/>, <paramref name="max"/>] (either bound optional; NaN stays NaN).</summary>
    Tensor Clamp(Tensor x, double? min, double? max);
}
