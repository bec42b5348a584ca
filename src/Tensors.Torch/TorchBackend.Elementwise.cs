// LibTorch kernels: broadcasting arithmetic, comparisons and logic, copies and conversions, unary math with
// its fused gradients, pow/softplus/clamp.
using PluginMoE.Tensors.Backends;
using TT = TorchSharp.torch;

namespace PluginMoE.Tensors.Torch;

public sealed partial class TorchBackend
{
    /// <inheritdoc/>
    public Tensor Binary(BinaryOp op, Tensor a, Tensor b)
    {
        using var _ = TT.NewDisposeScope();
        var x = T(a); var y = T(b);
        bool integral = !a.dtype.IsFloatingPoint();
        return Out(op switch
        {
            BinaryOp.Add => x + y,
            BinaryOp.Sub => x - y,
            BinaryOp.Mul => x * y,
            BinaryOp.Div => integral ? x.div(y, TT.RoundingMode.trunc) : x / y,
            BinaryOp.Maximum => TT.maximum(x, y),
            BinaryOp.Minimum => TT.minimum(x, y),
            BinaryOp.Pow => x.pow(y),
            _ => throw new ArgumentOutOfRangeException(nameof(op)),
        });
    }

    /// <inheritdoc/>
    public Tensor Sum(Tensor x, int[] dims, bool keepdim)
    {
        using var _ = TT.NewDisposeScope();
        var t = T(x);
        var type = x.dtype.IsFloatingPoint() ? ToTorch(x.dtype) : TT.ScalarType.Int64;
        return Out(x.dim() == 0 ? t.to(type).clone() : t.sum(Dims(dims, x.dim()), keepdim, type));
    }

    /// <inheritdoc/>
    public Tensor Compare(CompareOp op, Tensor a, Tensor b)
    {
        using var _ = TT.NewDisposeScope();
        var x = T(a); var y = T(b);
        return Out(op switch
        {
            CompareOp.Eq => x.eq(y),
            CompareOp.Ne => x.ne(y),
            CompareOp.Lt => x.lt(y),
            CompareOp.Le => x.le(y),
            CompareOp.Gt => x.gt(y),
            CompareOp.Ge => x.ge(y),
            _ => throw new ArgumentOutOfRangeException(nameof(op)),
        });
    }

    /// <inheritdoc/>
    public Tensor Logical(LogicalOp op, Tensor a, Tensor b)
    {
        using var _ = TT.NewDisposeScope();
        var x = T(a); var y = T(b);
        return Out(op switch
        {
            LogicalOp.And => x.logical_and(y),
            LogicalOp.Or => x.logical_or(y),
            LogicalOp.Xor => x.logical_xor(y),
            _ => throw new ArgumentOutOfRangeException(nameof(op)),
        });
    }

    /// <inheritdoc/>
    public Tensor LogicalNot(Tensor a)
    {
        using var _ = TT.NewDisposeScope();
        return Out(T(a).logical_not());
    }

    /// <inheritdoc/>
    public Tensor Where(Tensor condition, Tensor a, Tensor b)
    {
        using var _ = TT.NewDisposeScope();
        return Out(TT.where(T(condition), T(a), T(b)));
    }

    /// <inheritdoc/>
    public Tensor IsFinite(Tensor x)
    {
        using var _ = TT.NewDisposeScope();
        return Out(T(x).isfinite());
    }

    /// <inheritdoc/>
    public Tensor IsNan(Tensor x)
    {
        using var _ = TT.NewDisposeScope();
        return Out(T(x).isnan());
    }

    /// <inheritdoc/>
    public Tensor AnyAll(Tensor x, int[] dims, bool keepdim, bool all)
    {
        using var _ = TT.NewDisposeScope();
        var t = T(x).ne(0);
        if (x.dim() == 0) return Out(t.clone());
        // LibTorch's any/all take one dim at a time: reduce the highest first so lower indices stay valid.
        foreach (var d in Dims(dims, x.dim()).OrderByDescending(d => d))
            t = all ? t.all(d, keepdim: true) : t.any(d, keepdim: true);
        if (!keepdim) t = SqueezeDims(t, Dims(dims, x.dim()));
        return Out(t);
    }

    /// <inheritdoc/>
    public Tensor Contiguous(Tensor src)
    {
        using var _ = TT.NewDisposeScope();
        return Out(T(src).clone());
    }

    /// <inheritdoc/>
    public void CopyInto(Tensor dst, Tensor src)
    {
        using var _ = TT.NewDisposeScope();
        if (dst.numel() == 0) return;
        T(dst).copy_(View(src).to(ToTorch(dst.dtype)).expand(dst.shape)); // the source may be on the cpu (copy_ crosses devices)
    }

    /// <inheritdoc/>
    public Tensor Convert(Tensor src, ScalarType dtype)
    {
        using var _ = TT.NewDisposeScope();
        var t = T(src);
        return Out(src.dtype == dtype ? t.clone() : t.to(ToTorch(dtype)));
    }

    /// <inheritdoc/>
    public void Fill(Tensor dst, double value)
    {
        using var _ = TT.NewDisposeScope();
        if (dst.numel() == 0) return;
        T(dst).fill_(S(value));
    }

    /// <inheritdoc/>
    public Tensor Unary(UnaryOp op, Tensor x)
    {
        using var _ = TT.NewDisposeScope();
        var t = T(x);
        return Out(op switch
        {
            UnaryOp.Exp => t.exp(),
            UnaryOp.Log => t.log(),
            UnaryOp.Sqrt => t.sqrt(),
            UnaryOp.Rsqrt => t.rsqrt(),
            UnaryOp.Tanh => t.tanh(),
            UnaryOp.Sigmoid => t.sigmoid(),
            UnaryOp.Relu => t.relu(),
            UnaryOp.Silu => t.silu(),
            UnaryOp.Gelu => t.gelu(),
            UnaryOp.GeluTanh => t.gelu(TorchSharp.Modules.GELU.Approximate.tanh),
            UnaryOp.Abs => t.abs(),
            UnaryOp.Square => t * t,
            UnaryOp.Reciprocal => t.reciprocal(),
            UnaryOp.Log1p => t.log1p(),
            UnaryOp.Expm1 => t.expm1(),
            UnaryOp.Erf => t.erf(),
            _ => throw new ArgumentOutOfRangeException(nameof(op)),
        });
    }

    /// <inheritdoc/>
    public Tensor UnaryBackward(UnaryOp op, Tensor grad, Tensor x, Tensor result)
    {
        using var _ = TT.NewDisposeScope();
        var g = T(grad); var a = T(x); var y = T(result);
        return Out(op switch
        {
            UnaryOp.Exp => g * y,
            UnaryOp.Log => g / a,
            UnaryOp.Sqrt => g / (2.0 * y),
            UnaryOp.Rsqrt => -0.5 * g * y * y * y,
            UnaryOp.Tanh => g * (1.0 - y * y),
            UnaryOp.Sigmoid => g * y * (1.0 - y),
            UnaryOp.Relu => TT.where(y > 0, g, TT.zeros_like(g)),
            UnaryOp.Silu => SiluGrad(g, a),
            UnaryOp.Gelu => g * (0.5 * (1.0 + (a * (1.0 / Math.Sqrt(2.0))).erf()) + a * (-0.5 * a * a).exp() * (1.0 / Math.Sqrt(2.0 * Math.PI))),
            UnaryOp.GeluTanh => GeluTanhGrad(g, a),
            UnaryOp.Abs => g * a.sign(),
            UnaryOp.Square => 2.0 * g * a,
            UnaryOp.Reciprocal => -g * y * y,
            UnaryOp.Log1p => g / (1.0 + a),
            UnaryOp.Expm1 => g * (y + 1.0),
            UnaryOp.Erf => g * (2.0 / Math.Sqrt(Math.PI)) * (-(a * a)).exp(),
            _ => throw new ArgumentOutOfRangeException(nameof(op)),
        });
    }

    private static TT.Tensor SiluGrad(TT.Tensor g, TT.Tensor x)
    {
        var s = x.sigmoid();
        return g * s * (1.0 + x * (1.0 - s));
    }

    private static TT.Tensor GeluTanhGrad(TT.Tensor g, TT.Tensor x)
    {
        const double k = 0.7978845608028654; // sqrt(2/pi)
        var inner = k * (x + 0.044715 * x * x * x);
        var th = inner.tanh();
        var dinner = k * (1.0 + 3 * 0.044715 * x * x);
        return g * (0.5 * (1.0 + th) + 0.5 * x * (1.0 - th * th) * dinner);
    }

    /// <inheritdoc/>
    public Tensor PowScalar(Tensor x, double exponent)
    {
        using var _ = TT.NewDisposeScope();
        return Out(T(x).pow(S(exponent)));
    }

    /// <inheritdoc/>
    public Tensor Softplus(Tensor x, double beta, double threshold)
    {
        using var _ = TT.NewDisposeScope();
        return Out(TT.nn.functional.softplus(T(x), beta, threshold));
    }

    /// <inheritdoc/>
    public Tensor SoftplusBackward(Tensor grad, Tensor x, double beta, double threshold)
    {
        using var _ = TT.NewDisposeScope();
        var g = T(grad); var bx = T(x) * beta;
        return Out(TT.where(bx > threshold, g, g * bx.sigmoid()));
    }

    /// <inheritdoc/>
    public Tensor Clamp(Tensor x, double? min, double? max)
    {
        using var _ = TT.NewDisposeScope();
        var t = T(x);
        if (min is null && max is null) return Out(t.clone());
        if (min is null) return Out(t.clamp_max(S(max!.Value)));
        if (max is null) return Out(t.clamp_min(S(min.Value)));
        return Out(t.clamp(S(min.Value), S(max.Value)));
    }
}
