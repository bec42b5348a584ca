// Stable sort, argsort and top-k with PyTorch semantics. Ties keep input order (lower index first),
// which MoE dispatch relies on for a deterministic token order. Backward scatters into the picked positions.
namespace PluginMoE.Tensors;

public partial class Tensor
{
    /// <summary>
    /// Sorts along <paramref name="dim"/>. The sort is always stable: equal elements keep their input order, also
    /// when <paramref name="descending"/> (NaN ranks above +inf, as in PyTorch). Works on float and integer tensors.
    /// </summary>
    /// <param name="dim">Dimension to sort (default: the last).</param>
    /// <param name="descending">Largest first.</param>
    /// <param name="stable">Accepted for PyTorch compatibility; the sort is stable either way.</param>
    /// <returns>The sorted values and their int64 positions in this tensor.</returns>
    public (Tensor values, Tensor indices) sort(long dim = -1, bool descending = false, bool stable = true)
    {
        _ = stable;
        int d = Shape.WrapDim(dim, Sizes.Length, "sort");
        var (values, indices) = backend.Sort(this, d, descending);
        var inSizes = Sizes;
        values = Record(values, "SortBackward", [this], g => [Zeros(g.dtype, (int[])inSizes.Clone(), g.device).scatter(d, indices, g)]);
        return (values, indices);
    }

    /// <summary>Positions that sort this tensor along <paramref name="dim"/> (stable; see <see cref="sort"/>).</summary>
    /// <param name="dim">Dimension to sort (default: the last).</param>
    /// <param name="descending">Largest first.</param>
    /// <param name="stable">Accepted for PyTorch compatibility; the sort is stable either way.</param>
    public Tensor argsort(long dim = -1, bool descending = false, bool stable = true)
    {
        _ = stable;
        return backend.Sort(this, Shape.WrapDim(dim, Sizes.Length, "argsort"), descending).indices;
    }

    /// <summary>
    /// The <paramref name="k"/> largest (or smallest) elements along <paramref name="dim"/>, best first. Among equal
    /// values the lower index wins, so the selection is deterministic. O(n·k) per row for k &lt;= 16, a sort otherwise.
    /// </summary>
    /// <param name="k">How many to keep, 0 &lt;= k &lt;= size(dim).</param>
    /// <param name="dim">Dimension to search (default: the last).</param>
    /// <param name="largest">Largest (true) or smallest (false) elements.</param>
    /// <param name="sorted">Accepted for PyTorch compatibility; results always come best first.</param>
    /// <returns>The values and their int64 positions along <paramref name="dim"/>.</returns>
    public (Tensor values, Tensor indices) topk(long k, long dim = -1, bool largest = true, bool sorted = true)
    {
        _ = sorted;
        int d = Shape.WrapDim(dim, Sizes.Length, "topk");
        int n = Sizes.Length == 0 ? 1 : Sizes[d];
        if (k < 0 || k > n)
            throw new ArgumentOutOfRangeException(nameof(k), k, $"topk: k ({k}) must be in [0, {n}] for dimension {d} of size {n} (tensor of shape {Shape.Format(Sizes)})");
        var (values, indices) = backend.TopK(this, (int)k, d, largest);
        var inSizes = Sizes;
        values = Record(values, "TopkBackward", [this], g => [Zeros(g.dtype, (int[])inSizes.Clone(), g.device).scatter(d, indices, g)]);
        return (values, indices);
    }
}

public static partial class torch
{
    /// <summary>Stable sort along <paramref name="dim"/> (see <see cref="Tensor.sort"/>).</summary>
    public static (Tensor values, Tensor indices) sort(Tensor input, long dim = -1, bool descending = false, bool stable = true) =>
        input.sort(dim, descending, stable);

    /// <summary>Positions that stably sort <paramref name="input"/> (see <see cref="Tensor.argsort"/>).</summary>
    public static Tensor argsort(Tensor input, long dim = -1, bool descending = false, bool stable = true) =>
        input.argsort(dim, descending, stable);

    /// <summary>The k largest or smallest elements (see <see cref="Tensor.topk"/>).</summary>
    public static (Tensor values, Tensor indices) topk(Tensor input, long k, long dim = -1, bool largest = true, bool sorted = true) =>
        input.topk(k, dim, largest, sorted);
}
