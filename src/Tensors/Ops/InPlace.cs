// In-place element-wise ops with PyTorch's semantics (add_, sub_, mul_, div_, neg_, clamp_, fill_, zero_, copy_):
// each bumps its storage's version counter; while autograd records, a leaf that requires grad or a view refuses them,
// and any other tensor in the graph gets a new node behind which its previous history moves (PyTorch's rebase).
using PluginMoE.Tensors.Autograd;
using PluginMoE.Tensors.Backends;

namespace PluginMoE.Tensors;

public partial class Tensor
{
    /// <summary>
    /// <c>this += alpha * other</c> in place (<paramref name="other"/> broadcasts to this tensor's shape). Recorded by
    /// autograd when this tensor (not a leaf) or <paramref name="other"/> requires grad.
    /// </summary>
    /// <param name="other">Added, broadcast to this shape; its type must cast to this tensor's.</param>
    /// <param name="alpha">Scale of <paramref name="other"/>.</param>
    /// <returns>This tensor.</returns>
    /// <exception cref="InvalidOperationException">This is a leaf that requires grad (outside no_grad), or a view in the graph.</exception>
    /// <exception cref="ArgumentException">The shapes do not broadcast to this tensor's, or the type cannot be cast.</exception>
    public Tensor add_(Tensor other, double alpha = 1) => AddSub("add_", other, alpha, "AddBackward");

    /// <summary><c>this -= alpha * other</c> in place (see <see cref="add_(Tensor, double)"/>).</summary>
    /// <param name="other">Subtracted, broadcast to this shape.</param>
    /// <param name="alpha">Scale of <paramref name="other"/>.</param>
    /// <returns>This tensor.</returns>
    public Tensor sub_(Tensor other, double alpha = 1) => AddSub("sub_", other, -alpha, "SubBackward");

    /// <summary>Adds a scalar in place.</summary>
    /// <param name="value">The scalar.</param>
    /// <returns>This tensor.</returns>
    public Tensor add_(double value) => AddSub("add_", Scalar(value), 1, "AddBackward");

    /// <summary>Subtracts a scalar in place.</summary>
    /// <param name="value">The scalar.</param>
    /// <returns>This tensor.</returns>
    public Tensor sub_(double value) => AddSub("sub_", Scalar(value), -1, "SubBackward");

    /// <summary>Element-wise product in place (<paramref name="other"/> broadcasts to this shape); recorded like <see cref="add_(Tensor, double)"/>.</summary>
    /// <param name="other">The factor.</param>
    /// <returns>This tensor.</returns>
    public Tensor mul_(Tensor other) => MulDiv("mul_", other, BinaryOp.Mul, "MulBackward");

    /// <summary>Multiplies by a scalar in place.</summary>
    /// <param name="value">The scalar.</param>
    /// <returns>This tensor.</returns>
    public Tensor mul_(double value) => MulDiv("mul_", Scalar(value), BinaryOp.Mul, "MulBackward");

    /// <summary>Element-wise quotient in place (<paramref name="other"/> broadcasts to this shape); this tensor must be floating point.</summary>
    /// <param name="other">The divisor.</param>
    /// <returns>This tensor.</returns>
    public Tensor div_(Tensor other) => MulDiv("div_", other, BinaryOp.Div, "DivBackward");

    /// <summary>Divides by a scalar in place; this tensor must be floating point.</summary>
    /// <param name="value">The scalar.</param>
    /// <returns>This tensor.</returns>
    public Tensor div_(double value) => MulDiv("div_", Scalar(value), BinaryOp.Div, "DivBackward");

    /// <summary>Negates in place.</summary>
    /// <returns>This tensor.</returns>
    public Tensor neg_() => MulDiv("neg_", Scalar(-1), BinaryOp.Mul, "NegBackward");

    /// <summary>
    /// Limits every element to [<paramref name="min"/>, <paramref name="max"/>] in place (either bound may be null, not
    /// both). The gradient passes where min &lt;= x &lt;= max (x before the op) and is 0 elsewhere, as for <see cref="clamp"/>.
    /// </summary>
    /// <param name="min">Lower bound or null.</param>
    /// <param name="max">Upper bound or null.</param>
    /// <returns>This tensor.</returns>
    /// <exception cref="ArgumentException">Both bounds are null, or a fractional bound on an integer tensor.</exception>
    public Tensor clamp_(double? min = null, double? max = null)
    {
        if (min is null && max is null) throw new ArgumentException("clamp_: at least one of 'min' or 'max' must be given");
        if (dtype.IsInteger() && ((min is double lo && Math.Floor(lo) != lo) || (max is double hi && Math.Floor(hi) != hi)))
            throw new ArgumentException($"clamp_: a fractional bound cannot be written into a {dtype.TorchName()} tensor; use clamp(), which returns float");
        bool record = CheckInPlace("clamp_");
        Tensor? keep = null;
        using (GradMode.Set(false))
        {
            if (record)
            {
                if (min is double a) keep = ge(a);
                if (max is double b) keep = keep is null ? le(b) : keep.logical_and(le(b));
            }
            if (is_contiguous() && dtype is ScalarType.Float32 or ScalarType.Float64)
                backend.ClampInPlace(this, min ?? double.NegativeInfinity, max ?? double.PositiveInfinity);
            else
                WriteBack(backend.Clamp(this, min, max));
        }
        return FinishInPlace("clamp_", record, "ClampBackward", [], g => [torch.where(keep!, g, Zeros(g.dtype, [], g.device))], []);
    }

    /// <summary>Clamps from below in place (see <see cref="clamp_"/>).</summary>
    /// <param name="min">Lower bound.</param>
    /// <returns>This tensor.</returns>
    public Tensor clamp_min_(double min) => clamp_(min, null);

    /// <summary>Clamps from above in place (see <see cref="clamp_"/>).</summary>
    /// <param name="max">Upper bound.</param>
    /// <returns>This tensor.</returns>
    public Tensor clamp_max_(double max) => clamp_(null, max);

    /// <summary>
    /// Copies <paramref name="src"/> (broadcast, converted to this type) into this tensor in place. When recorded, the
    /// gradient flows to <paramref name="src"/> and none to this tensor's previous value.
    /// </summary>
    /// <param name="src">Values to copy; broadcasts to this shape.</param>
    /// <returns>This tensor.</returns>
    public Tensor copy_(Tensor src)
    {
        ArgumentNullException.ThrowIfNull(src);
        bool record = CheckInPlace("copy_", src);
        CheckBroadcastsInto(src, "copy_");
        var srcSizes = src.Sizes;
        using (GradMode.Set(false)) backend.CopyInto(this, src);
        return FinishInPlace("copy_", record, "CopyBackward", [src], g => [null, g.sum_to_size(srcSizes)], []);
    }

    /// <summary>Sets every element to <paramref name="value"/> in place (when recorded, no gradient flows to the previous value).</summary>
    /// <param name="value">The value.</param>
    /// <returns>This tensor.</returns>
    public Tensor fill_(double value)
    {
        bool record = CheckInPlace("fill_");
        using (GradMode.Set(false)) backend.Fill(this, value);
        return FinishInPlace("fill_", record, "FillBackward", [], _ => [null], []);
    }

    /// <summary>Sets every element to zero in place.</summary>
    /// <returns>This tensor.</returns>
    public Tensor zero_()
    {
        bool record = CheckInPlace("zero_");
        using (GradMode.Set(false)) backend.Fill(this, 0);
        return FinishInPlace("zero_", record, "ZeroBackward", [], _ => [null], []);
    }

    // this += alpha * other; the gradient is g for this, alpha * g (summed to its shape) for other; nothing is saved.
    private Tensor AddSub(string op, Tensor other, double alpha, string node)
    {
        ArgumentNullException.ThrowIfNull(other);
        bool record = CheckInPlace(op, other);
        other = InPlaceOperand(other, op);
        var otherSizes = other.Sizes;
        using (GradMode.Set(false))
        {
            if (alpha == 1 && CanAddInPlace(other))
                backend.AddInPlace(this, other); // the gradient-accumulation kernel: no temporary
            else
            {
                var scaled = alpha == 1 ? other : backend.Binary(BinaryOp.Mul, other, Scalar(alpha).to(other.dtype));
                WriteBack(backend.Binary(BinaryOp.Add, this, scaled));
                if (!ReferenceEquals(scaled, other)) scaled.Storage.Release();
            }
        }
        return FinishInPlace(op, record, node, [other], g => [g, (alpha == 1 ? g : g.mul(alpha)).sum_to_size(otherSizes)], []);
    }

    // this *= other or this /= other. The gradient for other needs this tensor's previous value: a copy is kept only
    // when other requires grad (the tensor itself is about to be overwritten).
    private Tensor MulDiv(string op, Tensor other, BinaryOp kind, string node)
    {
        ArgumentNullException.ThrowIfNull(other);
        if (kind == BinaryOp.Div && !dtype.IsFloatingPoint())
            throw new ArgumentException($"{op}: true division cannot be written into a {dtype.TorchName()} tensor; use div(), which returns float");
        bool record = CheckInPlace(op, other);
        other = InPlaceOperand(other, op);
        var otherSizes = other.Sizes;
        var o = other.detach();
        Tensor? before = null;
        using (GradMode.Set(false))
        {
            if (record && other.requires_grad) before = clone();
            if (kind == BinaryOp.Mul && other.Sizes.Length == 0 && other.device.type == DeviceType.CPU && is_contiguous() && dtype is ScalarType.Float32 or ScalarType.Float64)
                backend.ScaleInPlace(this, other.ToDouble());
            else
                WriteBack(backend.Binary(kind, this, other));
        }
        Func<Tensor, Tensor?[]> rule = kind == BinaryOp.Mul
            ? g => [g.mul(o), before is null ? null : g.mul(before).sum_to_size(otherSizes)]
            : g => [g.div(o), before is null ? null : g.mul(before).div(o.mul(o)).neg().sum_to_size(otherSizes)];
        return FinishInPlace(op, record, node, [other], rule, [other]);
    }

    /// <summary>Validates and converts the other operand of an in-place op: same device, broadcasts to this shape, castable type.</summary>
    private Tensor InPlaceOperand(Tensor other, string op)
    {
        (_, other) = SameDevice(this, other, op);
        CheckBroadcastsInto(other, op);
        if ((!dtype.IsFloatingPoint() && other.dtype.IsFloatingPoint()) || (dtype == ScalarType.Bool && other.dtype != ScalarType.Bool))
            throw new ArgumentException($"{op}: the result type {other.dtype.TorchName()} cannot be written into this {dtype.TorchName()} tensor; convert it with to() or use the out-of-place op");
        return other.dtype == dtype ? other : other.to(dtype);
    }

    private void CheckBroadcastsInto(Tensor other, string op)
    {
        int n = Sizes.Length, m = other.Sizes.Length;
        bool ok = m <= n;
        for (int i = 0; ok && i < m; i++)
        {
            int os = other.Sizes[m - 1 - i], s = Sizes[n - 1 - i];
            ok = os == s || os == 1;
        }
        if (!ok)
            throw new ArgumentException(
                $"{op}: a tensor of shape {Shape.Format(other.Sizes)} does not broadcast to this tensor's shape {Shape.Format(Sizes)} (an in-place op cannot change the shape)");
    }

    private bool CanAddInPlace(Tensor other) =>
        dtype is ScalarType.Float32 or ScalarType.Float64 && other.dtype == dtype && is_contiguous() && Shape.Equal(other.Sizes, Sizes)
        && other.device == device && !ReferenceEquals(other.Storage, Storage);

    /// <summary>Copies a freshly computed result into this tensor and returns the temporary's memory to the pool.</summary>
    private void WriteBack(Tensor result)
    {
        backend.CopyInto(this, result);
        if (!ReferenceEquals(result.Storage, Storage)) result.Storage.Release();
    }
}
