// Broadcasting arithmetic (add, sub, mul, div, neg) and sum/mean, each with its backward rule.
// Gradients of broadcast inputs are summed back to the input's shape (sum_to_size).
using PluginMoE.Tensors.Backends;

namespace PluginMoE.Tensors;

public partial class Tensor
{
    /// <summary>A 0-dim tensor holding <paramref name="value"/>, typed to combine with this tensor.</summary>
    internal Tensor Scalar(double value)
    {
        var type = dtype.IsFloatingPoint() ? dtype : (Math.Floor(value) == value ? dtype : ScalarType.Float32);
        if (type is ScalarType.Float16 or ScalarType.BFloat16 or ScalarType.Bool) type = ScalarType.Float32;
        return torch.scalar_tensor(value, type);
    }

    private static (Tensor a, Tensor b) Promote(Tensor a, Tensor b)
    {
        (a, b) = SameDevice(a, b, "element-wise op");
        var t = ScalarTypeExtensions.Promote(a.dtype, b.dtype);
        if (t is ScalarType.Float16 or ScalarType.BFloat16 or ScalarType.Bool) t = ScalarType.Float32;
        return (a.to(t), b.to(t));
    }

    /// <summary>
    /// Both operands on one device: a 0-dim CPU tensor (a Python-style scalar) moves to the other's device, as PyTorch
    /// allows; any other mix is an error that names both devices.
    /// </summary>
    internal static (Tensor a, Tensor b) SameDevice(Tensor a, Tensor b, string op)
    {
        var da = a.device; var db = b.device;
        if (da == db) return (a, b);
        if (da.type == DeviceType.CPU && a.Sizes.Length == 0) return (a.to(db), b);
        if (db.type == DeviceType.CPU && b.Sizes.Length == 0) return (a, b.to(da));
        throw new InvalidOperationException(
            $"{op}: expected all tensors on one device, but found two: '{da}' and '{db}'; move one with .to(device) first");
    }

    /// <summary>Sums a broadcast gradient back to <paramref name="sizes"/>.</summary>
    internal Tensor sum_to_size(int[] sizes)
    {
        if (Shape.Equal(Sizes, sizes)) return this;
        int lead = Sizes.Length - sizes.Length;
        var dims = new List<long>();
        for (int i = 0; i < Sizes.Length; i++)
            if (i < lead || (sizes[i - lead] == 1 && Sizes[i] != 1)) dims.Add(i);
        var s = dims.Count > 0 ? sum([.. dims], keepdim: true) : this;
        return s.reshape(Shape.ToLong(sizes));
    }

    /// <summary>Element-wise sum with broadcasting.</summary>
    public Tensor add(Tensor other)
    {
        var (a, b) = Promote(this, other);
        var r = backend.Binary(BinaryOp.Add, a, b);
        var sa = a.Sizes; var sb = b.Sizes;
        return Record(r, "AddBackward", [a, b], g => [g.sum_to_size(sa), g.sum_to_size(sb)], saved: []);
    }

    /// <summary><c>this + alpha * other</c>.</summary>
    public Tensor add(Tensor other, double alpha) => alpha == 1 ? add(other) : add(other.mul(alpha));

    /// <summary>Element-wise difference with broadcasting.</summary>
    public Tensor sub(Tensor other)
    {
        var (a, b) = Promote(this, other);
        var r = backend.Binary(BinaryOp.Sub, a, b);
        var sa = a.Sizes; var sb = b.Sizes;
        return Record(r, "SubBackward", [a, b], g => [g.sum_to_size(sa), g.neg().sum_to_size(sb)], saved: []);
    }

    /// <summary>Element-wise product with broadcasting.</summary>
    public Tensor mul(Tensor other)
    {
        var (a, b) = Promote(this, other);
        var r = backend.Binary(BinaryOp.Mul, a, b);
        var sa = a.Sizes; var sb = b.Sizes;
        return Record(r, "MulBackward", [a, b], g => [
            a.requires_grad ? g.mul(b.detach()).sum_to_size(sa) : null,
            b.requires_grad ? g.mul(a.detach()).sum_to_size(sb) : null], saved: b.requires_grad ? [a, b] : [b]);
    }

    /// <summary>Element-wise quotient with broadcasting (integer inputs give float32).</summary>
    public Tensor div(Tensor other)
    {
        var (a, b) = Promote(this, other);
        if (!a.dtype.IsFloatingPoint())
        {
            a = a.to(ScalarType.Float32);
            b = b.to(ScalarType.Float32);
        }
        var r = backend.Binary(BinaryOp.Div, a, b);
        var sa = a.Sizes; var sb = b.Sizes;
        return Record(r, "DivBackward", [a, b], g => [
            a.requires_grad ? g.div(b.detach()).sum_to_size(sa) : null,
            b.requires_grad ? g.mul(r.detach()).div(b.detach()).neg().sum_to_size(sb) : null], saved: b.requires_grad ? [b, r] : [b]);
    }

    /// <summary>Adds a scalar.</summary>
    public Tensor add(double value) => add(Scalar(value));

    /// <summary>Subtracts a scalar.</summary>
    public Tensor sub(double value) => sub(Scalar(value));

    /// <summary>Multiplies by a scalar.</summary>
    public Tensor mul(double value) => mul(Scalar(value));

    /// <summary>Divides by a scalar.</summary>
    public Tensor div(double value) => div(Scalar(value));

    /// <summary>Negation.</summary>
    public Tensor neg() => mul(-1.0);

    /// <summary>Sum of all elements (a 0-dim tensor).</summary>
    public Tensor sum() => sum([], false);

    /// <summary>Sum over <paramref name="dims"/> (all when empty).</summary>
    public Tensor sum(long[] dims, bool keepdim = false)
    {
        var d = NormalizeDims(dims, "sum");
        var inSizes = Sizes;
        var r = backend.Sum(this, d, keepdim);
        if (!dtype.IsFloatingPoint()) return r;
        return Record(r, "SumBackward", [this], g =>
        {
            var gk = keepdim ? g : g.reshape(Shape.ToLong(KeptSizes(inSizes, d)));
            return [gk.expand(Shape.ToLong(inSizes))];
        });
    }

    /// <summary>Sum over one dimension.</summary>
    public Tensor sum(long dim, bool keepdim = false) => sum([dim], keepdim);

    /// <summary>Mean of all elements.</summary>
    public Tensor mean() => sum().div(Math.Max(NumelCached, 1));

    /// <summary>Mean over <paramref name="dims"/> (all when empty).</summary>
    public Tensor mean(long[] dims, bool keepdim = false)
    {
        var d = NormalizeDims(dims, "mean");
        long count = 1;
        foreach (var i in d) count *= Sizes[i];
        var x = dtype.IsFloatingPoint() ? this : to(ScalarType.Float32);
        return x.sum(dims, keepdim).div(Math.Max(count, 1));
    }

    /// <summary>Mean over one dimension.</summary>
    public Tensor mean(long dim, bool keepdim = false) => mean([dim], keepdim);

    /// <summary>Sorted distinct non-negative dims (all dims when <paramref name="dims"/> is empty).</summary>
    internal int[] NormalizeDims(long[] dims, string op)
    {
        if (dims.Length == 0) return Enumerable.Range(0, Sizes.Length).ToArray();
        var set = new SortedSet<int>();
        foreach (var d in dims)
            if (!set.Add(Shape.WrapDim(d, Sizes.Length, op))) throw new ArgumentException($"{op}: dim {d} appears twice");
        return [.. set];
    }

    /// <summary>Sizes with the reduced dims set to 1.</summary>
    internal static int[] KeptSizes(int[] sizes, int[] dims)
    {
        var k = (int[])sizes.Clone();
        foreach (var d in dims) k[d] = 1;
        return k;
    }

    /// <summary>Element-wise sum.</summary>
    public static Tensor operator +(Tensor a, Tensor b) => a.add(b);
    /// <summary>Element-wise difference.</summary>
    public static Tensor operator -(Tensor a, Tensor b) => a.sub(b);
    /// <summary>Element-wise product.</summary>
    public static Tensor operator *(Tensor a, Tensor b) => a.mul(b);
    /// <summary>Element-wise quotient.</summary>
    public static Tensor operator /(Tensor a, Tensor b) => a.div(b);
    /// <summary>Negation.</summary>
    public static Tensor operator -(Tensor a) => a.neg();
    /// <summary>Adds a scalar.</summary>
    public static Tensor operator +(Tensor a, double b) => a.add(b);
    /// <summary>Adds a scalar.</summary>
    public static Tensor operator +(double a, Tensor b) => b.add(a);
    /// <summary>Subtracts a scalar.</summary>
    public static Tensor operator -(Tensor a, double b) => a.sub(b);
    /// <summary>Scalar minus tensor.</summary>
    public static Tensor operator -(double a, Tensor b) => b.Scalar(a).sub(b);
    /// <summary>Multiplies by a scalar.</summary>
    public static Tensor operator *(Tensor a, double b) => a.mul(b);
    /// <summary>Multiplies by a scalar.</summary>
    public static Tensor operator *(double a, Tensor b) => b.mul(a);
    /// <summary>Divides by a scalar.</summary>
    public static Tensor operator /(Tensor a, double b) => a.div(b);
    /// <summary>Scalar divided by tensor.</summary>
    public static Tensor operator /(double a, Tensor b) => b.Scalar(a).div(b);
}
