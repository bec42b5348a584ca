// The integer bookkeeping of MoE token dispatch: cumsum (with a float backward), bincount,
// repeat_interleave, one_hot and nonzero, with PyTorch semantics.
namespace PluginMoE.Tensors;

public partial class Tensor
{
    /// <summary>
    /// Inclusive cumulative sum along <paramref name="dim"/>. Float tensors keep their type and get a gradient (the
    /// reverse cumulative sum of the output gradient); integer and bool tensors give int64.
    /// </summary>
    /// <param name="dim">Dimension to accumulate along.</param>
    public Tensor cumsum(long dim) => Cumsum(Shape.WrapDim(dim, Sizes.Length, "cumsum"), reverse: false);

    private Tensor Cumsum(int d, bool reverse)
    {
        var r = backend.Cumsum(this, d, reverse);
        if (!r.dtype.IsFloatingPoint()) return r;
        return Record(r, "CumsumBackward", [this], g => [g.Cumsum(d, !reverse)]);
    }

    /// <summary>
    /// Counts occurrences of each value of this 1-D non-negative integer tensor: result[v] = number of v (int64), or
    /// the sum of <paramref name="weights"/> at those positions. The length is max+1, at least <paramref name="minlength"/>.
    /// </summary>
    /// <param name="weights">Optional weights, same length; float weights keep their type, integer ones give float64.</param>
    /// <param name="minlength">Minimum number of bins.</param>
    /// <exception cref="ArgumentException">The input is not 1-D integer, has negative values, or weights do not match.</exception>
    public Tensor bincount(Tensor? weights = null, long minlength = 0)
    {
        if (Sizes.Length != 1 || !dtype.IsInteger())
            throw new ArgumentException($"bincount: input must be a 1-D integer tensor, got {dtype.TorchName()} of shape {Shape.Format(Sizes)}");
        if (minlength < 0 || minlength > int.MaxValue) throw new ArgumentOutOfRangeException(nameof(minlength), minlength, "bincount: minlength must be non-negative");
        var ids = AsIndex(this, "bincount", "input");
        if (weights is not null)
        {
            if (!Shape.Equal(weights.Sizes, Sizes))
                throw new ArgumentException($"bincount: weights of shape {Shape.Format(weights.Sizes)} must have the input's shape {Shape.Format(Sizes)}", nameof(weights));
            if (weights.dtype is not (ScalarType.Float32 or ScalarType.Float64)) weights = weights.detach().to(ScalarType.Float64);
            weights = weights.detach();
        }
        return backend.Bincount(ids, weights, (int)minlength);
    }

    /// <summary>
    /// Repeats each element <paramref name="repeats"/> times along <paramref name="dim"/> (of the flattened tensor when
    /// null): [a, b].repeat_interleave(2) = [a, a, b, b]. Differentiable.
    /// </summary>
    public Tensor repeat_interleave(long repeats, long? dim = null)
    {
        if (repeats < 0) throw new ArgumentOutOfRangeException(nameof(repeats), repeats, "repeat_interleave: repeats must be non-negative");
        var x = dim is null ? reshape(-1) : this;
        int d = dim is null ? 0 : Shape.WrapDim(dim.Value, Sizes.Length, "repeat_interleave");
        int n = x.Sizes.Length == 0 ? 1 : x.Sizes[d];
        return x.repeat_interleave(torch.full([n], repeats, ScalarType.Int64), d);
    }

    /// <summary>
    /// Repeats element i of dimension <paramref name="dim"/> <c>repeats[i]</c> times (of the flattened tensor when null);
    /// a one-element <paramref name="repeats"/> applies to every element. Differentiable.
    /// </summary>
    public Tensor repeat_interleave(Tensor repeats, long? dim = null)
    {
        var x = dim is null ? reshape(-1) : this;
        int d = dim is null ? 0 : Shape.WrapDim(dim.Value, Sizes.Length, "repeat_interleave");
        int n = x.Sizes.Length == 0 ? 1 : x.Sizes[d];
        var rep = AsIndex(repeats, "repeat_interleave", nameof(repeats));
        if (rep.Sizes.Length > 1) throw new ArgumentException($"repeat_interleave: repeats must be 0-d or 1-d, got shape {Shape.Format(rep.Sizes)}", nameof(repeats));
        if (rep.NumelCached == 1 && n != 1) rep = torch.full([n], rep.ToInt64(), ScalarType.Int64);
        if (rep.NumelCached != n)
            throw new ArgumentException($"repeat_interleave: repeats has {rep.NumelCached} elements but dimension {d} has size {n}", nameof(repeats));
        return x.index_select(d, backend.RepeatIndex(rep.reshape(-1)));
    }

    /// <summary>Coordinates of the non-zero elements: an int64 tensor (count, rank) in row-major order.</summary>
    public Tensor nonzero() => backend.Nonzero(this);
}

public static partial class torch
{
    /// <summary>Inclusive cumulative sum along <paramref name="dim"/> (see <see cref="Tensor.cumsum"/>).</summary>
    public static Tensor cumsum(Tensor input, long dim) => input.cumsum(dim);

    /// <summary>Counts (or weighted sums) per value of a 1-D non-negative integer tensor (see <see cref="Tensor.bincount"/>).</summary>
    public static Tensor bincount(Tensor input, Tensor? weights = null, long minlength = 0) => input.bincount(weights, minlength);

    /// <summary>Repeats each element <paramref name="repeats"/> times (see <see cref="Tensor.repeat_interleave(long, long?)"/>).</summary>
    public static Tensor repeat_interleave(Tensor input, long repeats, long? dim = null) => input.repeat_interleave(repeats, dim);

    /// <summary>Repeats element i <c>repeats[i]</c> times (see <see cref="Tensor.repeat_interleave(Tensor, long?)"/>).</summary>
    public static Tensor repeat_interleave(Tensor input, Tensor repeats, long? dim = null) => input.repeat_interleave(repeats, dim);

    /// <summary>
    /// For a 1-D non-negative integer <paramref name="repeats"/>: i repeated repeats[i] times (int64), e.g. [2, 0, 1] gives
    /// [0, 0, 2]. This maps per-expert token counts to the expert id of each dispatched slot.
    /// </summary>
    public static Tensor repeat_interleave(Tensor repeats)
    {
        var rep = Tensor.AsIndex(repeats, "repeat_interleave", nameof(repeats));
        if (rep.Sizes.Length != 1) throw new ArgumentException($"repeat_interleave: repeats must be 1-D, got shape {Shape.Format(rep.Sizes)}", nameof(repeats));
        return rep.backend.RepeatIndex(rep);
    }

    /// <summary>Coordinates of the non-zero elements (see <see cref="Tensor.nonzero"/>).</summary>
    public static Tensor nonzero(Tensor input) => input.nonzero();

    public static partial class nn
    {
        public static partial class functional
        {
            /// <summary>
            /// int64 one-hot encoding: shape (*tensor.shape, num_classes) with a 1 at each class id. With
            /// <paramref name="num_classes"/> = -1 the count is max(tensor)+1.
            /// </summary>
            /// <param name="tensor">Non-negative int64 (or int32) class ids.</param>
            /// <param name="num_classes">Number of classes, or -1 to infer it.</param>
            /// <exception cref="IndexOutOfRangeException">A class id is negative or not below <paramref name="num_classes"/>.</exception>
            public static Tensor one_hot(Tensor tensor, long num_classes = -1)
            {
                var ids = Tensor.AsIndex(tensor, "one_hot", nameof(tensor));
                if (num_classes == -1)
                {
                    if (ids.NumelCached == 0) throw new ArgumentException("one_hot: cannot infer num_classes from an empty tensor; pass num_classes");
                    num_classes = System.Numerics.Tensors.TensorPrimitives.Max<long>(ids.data<long>()) + 1;
                }
                if (num_classes < 1 || num_classes > int.MaxValue)
                    throw new ArgumentOutOfRangeException(nameof(num_classes), num_classes, "one_hot: num_classes must be positive (or -1 to infer it)");
                return ids.backend.OneHot(ids, (int)num_classes);
            }
        }
    }
}
