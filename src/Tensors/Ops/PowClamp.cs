// pow (tensor^scalar, tensor^tensor), clamp and element-wise maximum/minimum, with PyTorch's backward rules
// (pow: zero gradient where the exponent is 0; maximum/minimum: ties split the gradient half/half).
using PluginMoE.Tensors.Backends;

namespace PluginMoE.Tensors;

public partial class Tensor
{
    /// <summary>x^<paramref name="exponent"/> element-wise (integer tensors become float32).</summary>
    public Tensor pow(double exponent)
    {
        var x = AsFloating();
        var r = x.backend.PowScalar(x, exponent);
        return Record(r, "PowBackward0", [x], g =>
        {
            if (exponent == 0) return [torch.zeros_like(g)];
            return [g.mul(x.detach().pow(exponent - 1).mul(exponent))];
        });
    }

    /// <summary>x^y element-wise with broadcasting.</summary>
    public Tensor pow(Tensor exponent)
    {
        ArgumentNullException.ThrowIfNull(exponent);
        var (a, b) = Promote(AsFloating(), exponent.AsFloating());
        var r = a.backend.Binary(BinaryOp.Pow, a, b);
        var sa = a.Sizes; var sb = b.Sizes;
        return Record(r, "PowBackward1", [a, b], g =>
        {
            Tensor ad = a.detach(), bd = b.detach();
            Tensor? ga = null, gb = null;
            if (a.requires_grad) // d/da a^b = b a^(b-1), defined as 0 where b == 0
                ga = torch.where(bd.eq(0), Zeros(g.dtype, [], g.device), g.mul(bd).mul(ad.pow(bd.sub(1.0)))).sum_to_size(sa);
            if (b.requires_grad) // d/db a^b = a^b log a, defined as 0 where a == 0 and b >= 0
                gb = torch.where(ad.eq(0).logical_and(bd.ge(0)), Zeros(g.dtype, [], g.device), g.mul(r.detach()).mul(ad.log())).sum_to_size(sb);
            return [ga, gb];
        });
    }

    /// <summary>
    /// Limits every element to [<paramref name="min"/>, <paramref name="max"/>]; either bound may be null, not both.
    /// The gradient passes where min &lt;= x &lt;= max and is 0 elsewhere.
    /// </summary>
    /// <exception cref="ArgumentException">Both bounds are null.</exception>
    public Tensor clamp(double? min = null, double? max = null)
    {
        if (min is null && max is null) throw new ArgumentException("clamp: at least one of 'min' or 'max' must be given");
        var x = this;
        bool fractional = (min is double lo && Math.Floor(lo) != lo) || (max is double hi && Math.Floor(hi) != hi);
        if (!dtype.IsInteger() || fractional) x = AsFloating();
        var r = x.backend.Clamp(x, min, max);
        if (!r.dtype.IsFloatingPoint()) return r;
        return Record(r, "ClampBackward", [x], g =>
        {
            var xd = x.detach();
            Tensor? keep = null;
            if (min is double a) keep = xd.ge(a);
            if (max is double b) keep = keep is null ? xd.le(b) : keep.logical_and(xd.le(b));
            return [torch.where(keep!, g, Zeros(g.dtype, [], g.device))];
        });
    }

    /// <summary>max(x, <paramref name="min"/>) element-wise (see <see cref="clamp"/>).</summary>
    public Tensor clamp_min(double min) => clamp(min, null);

    /// <summary>min(x, <paramref name="max"/>) element-wise (see <see cref="clamp"/>).</summary>
    public Tensor clamp_max(double max) => clamp(null, max);

    /// <summary>Element-wise maximum with broadcasting (NaN propagates; ties split the gradient half/half).</summary>
    public Tensor maximum(Tensor other) => MaxMinBinary(other, BinaryOp.Maximum);

    /// <summary>Element-wise minimum with broadcasting (NaN propagates; ties split the gradient half/half).</summary>
    public Tensor minimum(Tensor other) => MaxMinBinary(other, BinaryOp.Minimum);

    private Tensor MaxMinBinary(Tensor other, BinaryOp op)
    {
        ArgumentNullException.ThrowIfNull(other);
        var (a, b) = Promote(this, other);
        var r = a.backend.Binary(op, a, b);
        if (!r.dtype.IsFloatingPoint()) return r;
        var sa = a.Sizes; var sb = b.Sizes;
        string name = op == BinaryOp.Maximum ? "MaximumBackward" : "MinimumBackward";
        return Record(r, name, [a, b], g =>
        {
            // PyTorch: where(a == b, g/2, g), zeroed for the input that lost.
            Tensor ad = a.detach(), bd = b.detach();
            var zero = Zeros(g.dtype, [], g.device);
            var shared = torch.where(ad.eq(bd), g.mul(0.5), g);
            var aLost = op == BinaryOp.Maximum ? ad.lt(bd) : ad.gt(bd);
            var bLost = op == BinaryOp.Maximum ? ad.gt(bd) : ad.lt(bd);
            return [
                a.requires_grad ? torch.where(aLost, zero, shared).sum_to_size(sa) : null,
                b.requires_grad ? torch.where(bLost, zero, shared).sum_to_size(sb) : null];
        });
    }
}

public static partial class torch
{
    /// <summary>x^<paramref name="exponent"/> element-wise.</summary>
    public static Tensor pow(Tensor input, double exponent) => input.pow(exponent);
    /// <summary>x^y element-wise with broadcasting.</summary>
    public static Tensor pow(Tensor input, Tensor exponent) => input.pow(exponent);
    /// <summary>Limits every element to [min, max] (either bound optional).</summary>
    public static Tensor clamp(Tensor input, double? min = null, double? max = null) => input.clamp(min, max);
    /// <summary>Element-wise maximum with broadcasting.</summary>
    public static Tensor maximum(Tensor input, Tensor other) => input.maximum(other);
    /// <summary>Element-wise minimum with broadcasting.</summary>
    public static Tensor minimum(Tensor input, Tensor other) => input.minimum(other);
}
