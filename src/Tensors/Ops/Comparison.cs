// Comparisons and logic producing bool tensors (eq/ne/lt/le/gt/ge, logical_*, any/all, isfinite/isnan), and the
// selections where/masked_fill with their backward rules (the gradient follows the branch that was taken).
using PluginMoE.Tensors.Backends;

namespace PluginMoE.Tensors;

public partial class Tensor
{
    private Tensor CompareWith(CompareOp op, Tensor other)
    {
        ArgumentNullException.ThrowIfNull(other);
        var a = this;
        var b = other;
        if (a.dtype != b.dtype)
        {
            var t = ScalarTypeExtensions.Promote(a.dtype, b.dtype);
            if (t is ScalarType.Float16 or ScalarType.BFloat16) t = ScalarType.Float32;
            a = a.to(t).detach();
            b = b.to(t).detach();
        }
        else if (a.dtype is ScalarType.Float16 or ScalarType.BFloat16)
        {
            a = a.to(ScalarType.Float32).detach();
            b = b.to(ScalarType.Float32).detach();
        }
        return backend.Compare(op, a, b);
    }

    /// <summary>Element-wise <c>this == other</c> with broadcasting (bool result).</summary>
    public Tensor eq(Tensor other) => CompareWith(CompareOp.Eq, other);
    /// <summary>Element-wise <c>this != other</c> with broadcasting (bool result; true where either is NaN).</summary>
    public Tensor ne(Tensor other) => CompareWith(CompareOp.Ne, other);
    /// <summary>Element-wise <c>this &lt; other</c> with broadcasting (bool result).</summary>
    public Tensor lt(Tensor other) => CompareWith(CompareOp.Lt, other);
    /// <summary>Element-wise <c>this &lt;= other</c> with broadcasting (bool result).</summary>
    public Tensor le(Tensor other) => CompareWith(CompareOp.Le, other);
    /// <summary>Element-wise <c>this &gt; other</c> with broadcasting (bool result).</summary>
    public Tensor gt(Tensor other) => CompareWith(CompareOp.Gt, other);
    /// <summary>Element-wise <c>this &gt;= other</c> with broadcasting (bool result).</summary>
    public Tensor ge(Tensor other) => CompareWith(CompareOp.Ge, other);

    /// <summary>Element-wise <c>this == value</c> (bool result).</summary>
    public Tensor eq(double value) => CompareWith(CompareOp.Eq, Scalar(value));
    /// <summary>Element-wise <c>this != value</c> (bool result).</summary>
    public Tensor ne(double value) => CompareWith(CompareOp.Ne, Scalar(value));
    /// <summary>Element-wise <c>this &lt; value</c> (bool result).</summary>
    public Tensor lt(double value) => CompareWith(CompareOp.Lt, Scalar(value));
    /// <summary>Element-wise <c>this &lt;= value</c> (bool result).</summary>
    public Tensor le(double value) => CompareWith(CompareOp.Le, Scalar(value));
    /// <summary>Element-wise <c>this &gt; value</c> (bool result).</summary>
    public Tensor gt(double value) => CompareWith(CompareOp.Gt, Scalar(value));
    /// <summary>Element-wise <c>this &gt;= value</c> (bool result).</summary>
    public Tensor ge(double value) => CompareWith(CompareOp.Ge, Scalar(value));

    /// <summary>This tensor as bool: true where non-zero (NaN counts as non-zero).</summary>
    private Tensor Truth() => dtype == ScalarType.Bool ? this : ne(0);

    /// <summary>Element-wise logical AND (non-zero is true) with broadcasting.</summary>
    public Tensor logical_and(Tensor other) => backend.Logical(LogicalOp.And, Truth(), other.Truth());
    /// <summary>Element-wise logical OR (non-zero is true) with broadcasting.</summary>
    public Tensor logical_or(Tensor other) => backend.Logical(LogicalOp.Or, Truth(), other.Truth());
    /// <summary>Element-wise logical XOR (non-zero is true) with broadcasting.</summary>
    public Tensor logical_xor(Tensor other) => backend.Logical(LogicalOp.Xor, Truth(), other.Truth());
    /// <summary>Element-wise logical NOT (true where the element is zero).</summary>
    public Tensor logical_not() => backend.LogicalNot(Truth());

    /// <summary>True (0-dim bool) if any element is non-zero.</summary>
    public Tensor any() => backend.AnyAll(this, [], false, all: false);
    /// <summary>Whether any element is non-zero along <paramref name="dim"/>.</summary>
    public Tensor any(long dim, bool keepdim = false) => backend.AnyAll(this, NormalizeDims([dim], "any"), keepdim, all: false);
    /// <summary>True (0-dim bool) if every element is non-zero (true for an empty tensor).</summary>
    public Tensor all() => backend.AnyAll(this, [], false, all: true);
    /// <summary>Whether every element is non-zero along <paramref name="dim"/>.</summary>
    public Tensor all(long dim, bool keepdim = false) => backend.AnyAll(this, NormalizeDims([dim], "all"), keepdim, all: true);

    /// <summary>True where the element is finite (neither infinite nor NaN).</summary>
    public Tensor isfinite() => backend.IsFinite(this);
    /// <summary>True where the element is NaN.</summary>
    public Tensor isnan() => backend.IsNan(this);
    /// <summary>True where the element is +inf or -inf.</summary>
    public Tensor isinf() => isfinite().logical_or(isnan()).logical_not();

    /// <summary>
    /// A copy with <paramref name="value"/> where the bool <paramref name="mask"/> (broadcast to this shape) is true.
    /// The gradient is zero at the filled positions.
    /// </summary>
    /// <exception cref="ArgumentException">The mask is not bool or cannot broadcast to this tensor's shape.</exception>
    public Tensor masked_fill(Tensor mask, double value)
    {
        ArgumentNullException.ThrowIfNull(mask);
        if (mask.dtype != ScalarType.Bool)
            throw new ArgumentException($"masked_fill: the mask must be a bool tensor, got {mask.dtype.TorchName()} (use mask.ne(0) or a comparison)", nameof(mask));
        if (mask.Sizes.Length > Sizes.Length || !Shape.Equal(Shape.Broadcast(Sizes, mask.Sizes, "masked_fill"), Sizes))
            throw new ArgumentException($"masked_fill: mask of shape {Shape.Format(mask.Sizes)} cannot be broadcast to the tensor's shape {Shape.Format(Sizes)}", nameof(mask));
        var fill = torch.scalar_tensor(value, dtype);
        var r = backend.Where(mask, fill, this);
        if (!dtype.IsFloatingPoint()) return r;
        return Record(r, "MaskedFillBackward", [this], g => [backend.Where(mask, Zeros(g.dtype, [], g.device), g)]);
    }
}

public static partial class torch
{
    /// <summary>
    /// Elements of <paramref name="input"/> where the bool <paramref name="condition"/> is true, else of
    /// <paramref name="other"/>; all three broadcast together. Gradients flow to the chosen branch.
    /// </summary>
    /// <exception cref="ArgumentException">The condition is not bool or the shapes cannot broadcast.</exception>
    public static Tensor where(Tensor condition, Tensor input, Tensor other)
    {
        ArgumentNullException.ThrowIfNull(condition);
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(other);
        if (condition.dtype != ScalarType.Bool)
            throw new ArgumentException($"where: the condition must be a bool tensor, got {condition.dtype.TorchName()}", nameof(condition));
        var t = ScalarTypeExtensions.Promote(input.dtype, other.dtype);
        var a = input.to(t);
        var b = other.to(t);
        var r = a.backend.Where(condition, a, b);
        if (!t.IsFloatingPoint()) return r;
        var sa = a.Sizes; var sb = b.Sizes;
        return Tensor.Record(r, "WhereBackward", [a, b], g =>
        {
            var zero = Tensor.Zeros(g.dtype, [], g.device);
            return [
                a.requires_grad ? g.backend.Where(condition, g, zero).sum_to_size(sa) : null,
                b.requires_grad ? g.backend.Where(condition, zero, g).sum_to_size(sb) : null];
        });
    }

    /// <summary><see cref="where(Tensor, Tensor, Tensor)"/> with a scalar for the false branch.</summary>
    public static Tensor where(Tensor condition, Tensor input, double other) => where(condition, input, input.Scalar(other));

    /// <summary><see cref="where(Tensor, Tensor, Tensor)"/> with a scalar for the true branch.</summary>
    public static Tensor where(Tensor condition, double input, Tensor other) => where(condition, other.Scalar(input), other);

    /// <summary>Element-wise equality (bool result).</summary>
    public static Tensor eq(Tensor input, Tensor other) => input.eq(other);
    /// <summary>Element-wise inequality (bool result).</summary>
    public static Tensor ne(Tensor input, Tensor other) => input.ne(other);
    /// <summary>Element-wise less-than (bool result).</summary>
    public static Tensor lt(Tensor input, Tensor other) => input.lt(other);
    /// <summary>Element-wise less-or-equal (bool result).</summary>
    public static Tensor le(Tensor input, Tensor other) => input.le(other);
    /// <summary>Element-wise greater-than (bool result).</summary>
    public static Tensor gt(Tensor input, Tensor other) => input.gt(other);
    /// <summary>Element-wise greater-or-equal (bool result).</summary>
    public static Tensor ge(Tensor input, Tensor other) => input.ge(other);
    /// <summary>Element-wise logical AND.</summary>
    public static Tensor logical_and(Tensor input, Tensor other) => input.logical_and(other);
    /// <summary>Element-wise logical OR.</summary>
    public static Tensor logical_or(Tensor input, Tensor other) => input.logical_or(other);
    /// <summary>Element-wise logical XOR.</summary>
    public static Tensor logical_xor(Tensor input, Tensor other) => input.logical_xor(other);
    /// <summary>Element-wise logical NOT.</summary>
    public static Tensor logical_not(Tensor input) => input.logical_not();
    /// <summary>True if any element is non-zero.</summary>
    public static Tensor any(Tensor input) => input.any();
    /// <summary>True if every element is non-zero.</summary>
    public static Tensor all(Tensor input) => input.all();
    /// <summary>True where the element is finite.</summary>
    public static Tensor isfinite(Tensor input) => input.isfinite();
    /// <summary>True where the element is NaN.</summary>
    public static Tensor isnan(Tensor input) => input.isnan();
    /// <summary>True where the element is infinite.</summary>
    public static Tensor isinf(Tensor input) => input.isinf();
}
