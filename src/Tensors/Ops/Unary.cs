// Element-wise math and activations (exp, log, sqrt, tanh, sigmoid, relu, silu, gelu, softplus, ...) with their
// backward rules; GELU is Hendrycks & Gimpel (2016), eq. for x*Phi(x) and its tanh approximation.
using PluginMoE.Tensors.Backends;

namespace PluginMoE.Tensors;

public partial class Tensor
{
    /// <summary>This tensor as a floating type (integer and bool tensors become float32, like PyTorch's promotion).</summary>
    internal Tensor AsFloating() => dtype is ScalarType.Float32 or ScalarType.Float64 ? this : to(ScalarType.Float32);

    /// <summary>Runs a unary kernel and records its fused gradient kernel.</summary>
    private Tensor UnaryRecorded(UnaryOp op, string name, bool keepIntegers = false)
    {
        var x = keepIntegers && dtype.IsInteger() ? this : AsFloating();
        var r = x.backend.Unary(op, x);
        if (!r.dtype.IsFloatingPoint()) return r;
        return Record(r, name, [x], g => [x.backend.UnaryBackward(op, g, x, r)]);
    }

    /// <summary>e^x element-wise.</summary>
    public Tensor exp() => UnaryRecorded(UnaryOp.Exp, "ExpBackward");

    /// <summary>Natural logarithm element-wise (NaN for negative inputs, -inf at 0).</summary>
    public Tensor log() => UnaryRecorded(UnaryOp.Log, "LogBackward");

    /// <summary>Square root element-wise.</summary>
    public Tensor sqrt() => UnaryRecorded(UnaryOp.Sqrt, "SqrtBackward");

    /// <summary>1/sqrt(x) element-wise.</summary>
    public Tensor rsqrt() => UnaryRecorded(UnaryOp.Rsqrt, "RsqrtBackward");

    /// <summary>Hyperbolic tangent element-wise.</summary>
    public Tensor tanh() => UnaryRecorded(UnaryOp.Tanh, "TanhBackward");

    /// <summary>Logistic sigmoid 1/(1+e^-x) element-wise.</summary>
    public Tensor sigmoid() => UnaryRecorded(UnaryOp.Sigmoid, "SigmoidBackward");

    /// <summary>max(x, 0) element-wise (integer tensors keep their type).</summary>
    public Tensor relu() => UnaryRecorded(UnaryOp.Relu, "ReluBackward", keepIntegers: true);

    /// <summary>SiLU (swish): x * sigmoid(x) element-wise.</summary>
    public Tensor silu() => UnaryRecorded(UnaryOp.Silu, "SiluBackward");

    /// <summary>
    /// GELU: x * Phi(x) with Phi the standard normal CDF (<paramref name="approximate"/> = "none", computed through an
    /// erfc accurate to about 1e-15), or the tanh approximation 0.5 x (1 + tanh(sqrt(2/pi)(x + 0.044715 x^3)))
    /// (<paramref name="approximate"/> = "tanh").
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="approximate"/> is neither "none" nor "tanh".</exception>
    public Tensor gelu(string approximate = "none") => approximate switch
    {
        "none" => UnaryRecorded(UnaryOp.Gelu, "GeluBackward"),
        "tanh" => UnaryRecorded(UnaryOp.GeluTanh, "GeluBackward"),
        _ => throw new ArgumentException($"gelu: approximate must be \"none\" or \"tanh\", got \"{approximate}\"", nameof(approximate)),
    };

    /// <summary>|x| element-wise (integer tensors keep their type; the gradient at 0 is 0).</summary>
    public Tensor abs() => UnaryRecorded(UnaryOp.Abs, "AbsBackward", keepIntegers: true);

    /// <summary>x * x element-wise (integer tensors keep their type).</summary>
    public Tensor square() => UnaryRecorded(UnaryOp.Square, "SquareBackward", keepIntegers: true);

    /// <summary>1/x element-wise.</summary>
    public Tensor reciprocal() => UnaryRecorded(UnaryOp.Reciprocal, "ReciprocalBackward");

    /// <summary>log(1 + x) element-wise, accurate for small x.</summary>
    public Tensor log1p() => UnaryRecorded(UnaryOp.Log1p, "Log1PBackward");

    /// <summary>e^x - 1 element-wise, accurate for small x.</summary>
    public Tensor expm1() => UnaryRecorded(UnaryOp.Expm1, "Expm1Backward");

    /// <summary>The error function erf(x) element-wise (about 1e-15 relative accuracy in float64).</summary>
    public Tensor erf() => UnaryRecorded(UnaryOp.Erf, "ErfBackward");

    /// <summary>
    /// log(1 + e^(beta x)) / beta element-wise, reverting to x where beta x &gt; <paramref name="threshold"/>
    /// (PyTorch's <c>softplus</c>).
    /// </summary>
    internal Tensor softplus(double beta = 1.0, double threshold = 20.0)
    {
        if (beta == 0) throw new ArgumentException("softplus: beta must be non-zero", nameof(beta));
        var x = AsFloating();
        var r = x.backend.Softplus(x, beta, threshold);
        return Record(r, "SoftplusBackward", [x], g => [x.backend.SoftplusBackward(g, x, beta, threshold)]);
    }
}

public static partial class torch
{
    /// <summary>e^x element-wise.</summary>
    public static Tensor exp(Tensor input) => input.exp();
    /// <summary>Natural logarithm element-wise.</summary>
    public static Tensor log(Tensor input) => input.log();
    /// <summary>Square root element-wise.</summary>
    public static Tensor sqrt(Tensor input) => input.sqrt();
    /// <summary>1/sqrt(x) element-wise.</summary>
    public static Tensor rsqrt(Tensor input) => input.rsqrt();
    /// <summary>Hyperbolic tangent element-wise.</summary>
    public static Tensor tanh(Tensor input) => input.tanh();
    /// <summary>Logistic sigmoid element-wise.</summary>
    public static Tensor sigmoid(Tensor input) => input.sigmoid();
    /// <summary>max(x, 0) element-wise.</summary>
    public static Tensor relu(Tensor input) => input.relu();
    /// <summary>|x| element-wise.</summary>
    public static Tensor abs(Tensor input) => input.abs();
    /// <summary>x * x element-wise.</summary>
    public static Tensor square(Tensor input) => input.square();
    /// <summary>1/x element-wise.</summary>
    public static Tensor reciprocal(Tensor input) => input.reciprocal();
    /// <summary>log(1 + x) element-wise.</summary>
    public static Tensor log1p(Tensor input) => input.log1p();
    /// <summary>e^x - 1 element-wise.</summary>
    public static Tensor expm1(Tensor input) => input.expm1();
    /// <summary>The error function element-wise.</summary>
    public static Tensor erf(Tensor input) => input.erf();

    public static partial class nn
    {
        public static partial class functional
        {
            /// <summary>max(x, 0) element-wise.</summary>
            public static Tensor relu(Tensor input) => input.relu();
            /// <summary>SiLU (swish): x * sigmoid(x).</summary>
            public static Tensor silu(Tensor input) => input.silu();
            /// <summary>GELU, exact (<paramref name="approximate"/> = "none") or tanh-approximated ("tanh"); see <see cref="Tensor.gelu"/>.</summary>
            public static Tensor gelu(Tensor input, string approximate = "none") => input.gelu(approximate);
            /// <summary>Logistic sigmoid.</summary>
            public static Tensor sigmoid(Tensor input) => input.sigmoid();
            /// <summary>Hyperbolic tangent.</summary>
            public static Tensor tanh(Tensor input) => input.tanh();
            /// <summary>log(1 + e^(beta x)) / beta, linear (x) where beta x &gt; <paramref name="threshold"/>.</summary>
            public static Tensor softplus(Tensor input, double beta = 1.0, double threshold = 20.0) => input.softplus(beta, threshold);
        }
    }
}
