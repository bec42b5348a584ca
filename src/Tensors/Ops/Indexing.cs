// Indexing along a dimension with PyTorch semantics: gather / scatter / scatter_add and
// index_select / index_add (out-of-place with backward rules, plus in-place variants for no-grad use).
namespace PluginMoE.Tensors;

public partial class Tensor
{
    /// <summary>
    /// An int64 index tensor (int32 is widened), made contiguous unless <paramref name="anyLayout"/>; anything else is
    /// rejected naming the op.
    /// </summary>
    internal static Tensor AsIndex(Tensor index, string op, string name = "index", bool anyLayout = false)
    {
        ArgumentNullException.ThrowIfNull(index, name);
        var t = index.dtype switch
        {
            ScalarType.Int64 => index,
            ScalarType.Int32 => index.backend.Convert(index, ScalarType.Int64),
            _ => throw new ArgumentException($"{op}: {name} must be an int64 (or int32) tensor, got {index.dtype.TorchName()}", name),
        };
        return anyLayout || t.is_contiguous() ? t : t.backend.Contiguous(t);
    }

    /// <summary>A zero tensor of <paramref name="sizes"/> holding <paramref name="t"/> in its leading corner.</summary>
    private static Tensor PadTo(Tensor t, int[] sizes)
    {
        if (Shape.Equal(t.Sizes, sizes)) return t;
        var z = Zeros(t.dtype, (int[])sizes.Clone(), t.device);
        var corner = z;
        for (int d = 0; d < sizes.Length; d++) corner = corner.narrow(d, 0, t.Sizes[d]);
        corner.copy_(t);
        return z;
    }

    /// <summary>
    /// Checks the gather/scatter shape rules: index has self's rank, and index.size(d) &lt;= self.size(d) for
    /// d != dim (and &lt;= src.size(d) for every d when <paramref name="src"/> is given). Returns the wrapped dim.
    /// </summary>
    private int CheckGatherShapes(string op, long dim, Tensor index, Tensor? src)
    {
        int d = Shape.WrapDim(dim, Sizes.Length, op);
        int rank = Math.Max(Sizes.Length, 1);
        if (Math.Max(index.Sizes.Length, 1) != rank)
            throw new ArgumentException($"{op}: index must have the same number of dimensions as self ({Sizes.Length}), got index of shape {Shape.Format(index.Sizes)}");
        if (src is not null && Math.Max(src.Sizes.Length, 1) != rank)
            throw new ArgumentException($"{op}: src must have the same number of dimensions as self ({Sizes.Length}), got src of shape {Shape.Format(src.Sizes)}");
        for (int i = 0; i < index.Sizes.Length && Sizes.Length > 0; i++)
        {
            if (i != d && index.Sizes[i] > Sizes[i])
                throw new ArgumentException($"{op}: index of shape {Shape.Format(index.Sizes)} is larger than self of shape {Shape.Format(Sizes)} at dimension {i} (only dimension {d} may be larger)");
            if (src is not null && src.Sizes.Length > 0 && index.Sizes[i] > src.Sizes[i])
                throw new ArgumentException($"{op}: index of shape {Shape.Format(index.Sizes)} is larger than src of shape {Shape.Format(src.Sizes)} at dimension {i}");
        }
        return d;
    }

    /// <summary>Rejects in-place indexing updates that autograd would have to see.</summary>
    private void CheckInPlaceIndexing(string op, Tensor source) => CheckInPlaceNoAutograd(op, source);

    // ------------------------------------------------------------------ gather / scatter

    /// <summary>
    /// <c>out[i][j][k] = self[i][index[i][j][k]][k]</c> for <paramref name="dim"/> = 1 (likewise for other dims); the
    /// result has <paramref name="index"/>'s shape. Negative indices are rejected, as in PyTorch.
    /// </summary>
    /// <param name="dim">Dimension to index along.</param>
    /// <param name="index">int64 positions, same rank as this tensor; no larger than it outside <paramref name="dim"/>.</param>
    /// <exception cref="IndexOutOfRangeException">An index is outside [0, size(dim)).</exception>
    public Tensor gather(long dim, Tensor index)
    {
        var idx = AsIndex(index, "gather", anyLayout: true);
        int d = CheckGatherShapes("gather", dim, idx, null);
        var inSizes = Sizes;
        var r = backend.Gather(this, d, idx);
        return Record(r, "GatherBackward", [this], g => [Zeros(g.dtype, (int[])inSizes.Clone(), g.device).scatter_add(d, idx, g)]);
    }

    /// <summary>
    /// Out-of-place scatter-add: a copy of this tensor with <c>out[i][index[i][j][k]][k] += src[i][j][k]</c> (for
    /// <paramref name="dim"/> = 1). Duplicated indices accumulate in a fixed order, so the result is reproducible.
    /// </summary>
    /// <param name="dim">Dimension to index along.</param>
    /// <param name="index">int64 positions, same rank as self; no larger than <paramref name="src"/>, nor than self outside <paramref name="dim"/>.</param>
    /// <param name="src">Values to add (same dtype as self).</param>
    public Tensor scatter_add(long dim, Tensor index, Tensor src)
    {
        ArgumentNullException.ThrowIfNull(src);
        var idx = AsIndex(index, "scatter_add", anyLayout: true);
        int d = CheckGatherShapes("scatter_add", dim, idx, src);
        var r = backend.Contiguous(this);
        backend.ScatterInto(r, d, idx, src, accumulate: true);
        var srcSizes = src.Sizes;
        return Record(r, "ScatterAddBackward", [this, src], g => [g, PadTo(g.gather(d, idx), srcSizes)]);
    }

    /// <summary>In-place <see cref="scatter_add"/> (not recorded by autograd).</summary>
    public Tensor scatter_add_(long dim, Tensor index, Tensor src)
    {
        ArgumentNullException.ThrowIfNull(src);
        CheckInPlaceIndexing("scatter_add_", src);
        var idx = AsIndex(index, "scatter_add_", anyLayout: true);
        int d = CheckGatherShapes("scatter_add_", dim, idx, src);
        backend.ScatterInto(this, d, idx, src, accumulate: true);
        Storage.BumpVersion("scatter_add_");
        return this;
    }

    /// <summary>
    /// Out-of-place scatter: a copy of this tensor with <c>out[i][index[i][j][k]][k] = src[i][j][k]</c> (for
    /// <paramref name="dim"/> = 1). For duplicated indices the last source element (in row-major order) wins.
    /// </summary>
    /// <param name="dim">Dimension to index along.</param>
    /// <param name="index">int64 positions, same rank as self; no larger than <paramref name="src"/>, nor than self outside <paramref name="dim"/>.</param>
    /// <param name="src">Values to write (same dtype as self).</param>
    public Tensor scatter(long dim, Tensor index, Tensor src)
    {
        ArgumentNullException.ThrowIfNull(src);
        var idx = AsIndex(index, "scatter", anyLayout: true);
        int d = CheckGatherShapes("scatter", dim, idx, src);
        var r = backend.Contiguous(this);
        backend.ScatterInto(r, d, idx, src, accumulate: false);
        var srcSizes = src.Sizes;
        return Record(r, "ScatterBackward", [this, src], g => [g.scatter(d, idx, 0.0), PadTo(g.gather(d, idx), srcSizes)]);
    }

    /// <summary>Out-of-place scatter of one value: a copy of this tensor with <paramref name="value"/> at the indexed positions.</summary>
    public Tensor scatter(long dim, Tensor index, double value)
    {
        var idx = AsIndex(index, "scatter", anyLayout: true);
        int d = CheckGatherShapes("scatter", dim, idx, null);
        var r = backend.Contiguous(this);
        backend.ScatterInto(r, d, idx, torch.scalar_tensor(value, dtype).expand(idx.shape), accumulate: false);
        return Record(r, "ScatterBackward", [this], g => [g.scatter(d, idx, 0.0)]);
    }

    /// <summary>In-place <see cref="scatter(long, Tensor, Tensor)"/> (not recorded by autograd).</summary>
    public Tensor scatter_(long dim, Tensor index, Tensor src)
    {
        ArgumentNullException.ThrowIfNull(src);
        CheckInPlaceIndexing("scatter_", src);
        var idx = AsIndex(index, "scatter_", anyLayout: true);
        int d = CheckGatherShapes("scatter_", dim, idx, src);
        backend.ScatterInto(this, d, idx, src, accumulate: false);
        Storage.BumpVersion("scatter_");
        return this;
    }

    /// <summary>In-place <see cref="scatter(long, Tensor, double)"/> (not recorded by autograd).</summary>
    public Tensor scatter_(long dim, Tensor index, double value)
    {
        CheckInPlaceNoAutograd("scatter_");
        var idx = AsIndex(index, "scatter_", anyLayout: true);
        int d = CheckGatherShapes("scatter_", dim, idx, null);
        backend.ScatterInto(this, d, idx, torch.scalar_tensor(value, dtype).expand(idx.shape), accumulate: false);
        Storage.BumpVersion("scatter_");
        return this;
    }

    // ------------------------------------------------------------------ index_select / index_add

    /// <summary>A 1-D index for index_select/index_add (0-d counts as one element), or an error naming the op.</summary>
    private static Tensor AsVectorIndex(Tensor index, string op)
    {
        var idx = AsIndex(index, op);
        if (idx.Sizes.Length > 1)
            throw new ArgumentException($"{op}: index must be a vector (0-d or 1-d), got shape {Shape.Format(idx.Sizes)}");
        return idx.Sizes.Length == 0 ? new Tensor(idx.Storage, [1], [1], idx.Offset, idx.dtype) : idx;
    }

    /// <summary>
    /// The entries of <paramref name="dim"/> listed in <paramref name="index"/>, in that order (repeats allowed).
    /// Negative indices are rejected, as in PyTorch.
    /// </summary>
    /// <param name="dim">Dimension to select along.</param>
    /// <param name="index">1-D int64 positions in [0, size(dim)).</param>
    /// <exception cref="IndexOutOfRangeException">An index is outside [0, size(dim)).</exception>
    public Tensor index_select(long dim, Tensor index)
    {
        int d = Shape.WrapDim(dim, Sizes.Length, "index_select");
        var idx = AsVectorIndex(index, "index_select");
        var inSizes = Sizes;
        var r = backend.IndexSelect(this, d, idx);
        return Record(r, "IndexSelectBackward", [this], g => d == 0 && inSizes.Length > 0 && g.dtype.IsFloatingPoint()
            ? [g.backend.IndexAddRows(null, inSizes[0], idx, g, null)] // rows written once, no zero fill
            : [Zeros(g.dtype, (int[])inSizes.Clone(), g.device).index_add(d, idx, g)]);
    }

    private int CheckIndexAddShapes(string op, long dim, Tensor idx, Tensor source)
    {
        int d = Shape.WrapDim(dim, Sizes.Length, op);
        if (source.dtype != dtype)
            throw new ArgumentException($"{op}: source ({source.dtype.TorchName()}) must have the same dtype as self ({dtype.TorchName()})");
        bool ok = Math.Max(source.Sizes.Length, 1) == Math.Max(Sizes.Length, 1);
        for (int i = 0; ok && i < Sizes.Length && source.Sizes.Length > 0; i++)
            ok = source.Sizes[i] == (i == d ? idx.NumelCached : Sizes[i]);
        if (!ok || (Sizes.Length == 0 && source.NumelCached != idx.NumelCached))
        {
            var want = (int[])Sizes.Clone();
            if (want.Length > 0) want[d] = idx.NumelCached;
            throw new ArgumentException(
                $"{op}: source of shape {Shape.Format(source.Sizes)} does not match self {Shape.Format(Sizes)} with dimension {d} " +
                $"replaced by the index length {idx.NumelCached}; expected {Shape.Format(want)}");
        }
        return d;
    }

    /// <summary>
    /// Out-of-place index-add: a copy of this tensor with <c>out.select(dim, index[j]) += alpha * source.select(dim, j)</c>.
    /// Duplicated indices accumulate in increasing j, so the result is bitwise reproducible for any thread count.
    /// </summary>
    /// <param name="dim">Dimension to add along.</param>
    /// <param name="index">1-D int64 positions in [0, size(dim)).</param>
    /// <param name="source">Self's shape with size(dim) = index length, same dtype.</param>
    /// <param name="alpha">Scale of <paramref name="source"/>.</param>
    public Tensor index_add(long dim, Tensor index, Tensor source, double alpha = 1)
    {
        ArgumentNullException.ThrowIfNull(source);
        var idx = AsVectorIndex(index, "index_add");
        int d = CheckIndexAddShapes("index_add", dim, idx, source);
        var r = backend.Contiguous(this);
        backend.IndexAddInto(r, d, idx, source, alpha);
        return Record(r, "IndexAddBackward", [this, source], g =>
        {
            Tensor? gs = null;
            if (source.requires_grad)
            {
                gs = g.index_select(d, idx);
                if (source.Sizes.Length == 0) gs = gs.reshape();
                if (alpha != 1) gs = gs.mul(alpha);
            }
            return [g, gs];
        });
    }

    internal static Tensor IndexAddRows(Tensor index, Tensor source, Tensor? weight, long rows, Tensor? input)
    {
        ArgumentNullException.ThrowIfNull(source);
        const string op = "index_add_rows";
        var idx = AsVectorIndex(index, op);
        if (source.Sizes.Length == 0)
            throw new ArgumentException($"{op}: source must have at least one dimension (its rows), got a 0-d tensor");
        if (rows < 0 || rows > int.MaxValue) throw new ArgumentOutOfRangeException(nameof(rows), rows, $"{op}: rows must be in [0, {int.MaxValue}]");
        if (idx.NumelCached != source.Sizes[0])
            throw new ArgumentException($"{op}: index has {idx.NumelCached} entries but source has {source.Sizes[0]} rows (shape {Shape.Format(source.Sizes)})");
        if (weight is not null)
        {
            if (weight.Sizes.Length != 1 || weight.Sizes[0] != source.Sizes[0])
                throw new ArgumentException($"{op}: weight must be 1-D with one entry per source row ({source.Sizes[0]}), got shape {Shape.Format(weight.Sizes)}");
            if (weight.dtype != source.dtype)
                throw new ArgumentException($"{op}: weight ({weight.dtype.TorchName()}) must have the source's dtype ({source.dtype.TorchName()})");
            if (!source.dtype.IsFloatingPoint())
                throw new NotSupportedException($"{op}: a weight needs a floating-point source, got {source.dtype.TorchName()}");
        }
        if (input is not null)
        {
            var want = (int[])source.Sizes.Clone();
            want[0] = (int)rows;
            if (!Shape.Equal(input.Sizes, want))
                throw new ArgumentException($"{op}: input has shape {Shape.Format(input.Sizes)}, expected {Shape.Format(want)} (rows x the source's row shape)");
            if (input.dtype != source.dtype)
                throw new ArgumentException($"{op}: input ({input.dtype.TorchName()}) must have the source's dtype ({source.dtype.TorchName()})");
        }
        if (source.device != idx.device || (weight is not null && weight.device != source.device) || (input is not null && input.device != source.device))
            throw new ArgumentException($"{op}: index, source, weight and input must be on one device");
        var be = source.backend;
        var r = be.IndexAddRows(input, (int)rows, idx, source, weight);
        Tensor[] inputs = input is null ? (weight is null ? [source] : [source, weight]) : (weight is null ? [source, input] : [source, weight, input]);
        return Record(r, "IndexAddRowsBackward", inputs, g =>
        {
            Tensor? ds = null, dw = null;
            if (weight is null) ds = source.requires_grad ? be.IndexSelect(g, 0, idx) : null;
            else (ds, dw) = be.IndexAddRowsBackward(g, idx, source, weight, source.requires_grad, weight.requires_grad);
            return input is null ? (weight is null ? [ds] : [ds, dw]) : (weight is null ? [ds, g] : [ds, dw, g]);
        }, saved: weight is null ? [] : [source, weight]);
    }

    /// <summary>In-place <see cref="index_add"/> (not recorded by autograd).</summary>
    public Tensor index_add_(long dim, Tensor index, Tensor source, double alpha = 1)
    {
        ArgumentNullException.ThrowIfNull(source);
        CheckInPlaceIndexing("index_add_", source);
        var idx = AsVectorIndex(index, "index_add_");
        int d = CheckIndexAddShapes("index_add_", dim, idx, source);
        if (is_contiguous())
        {
            backend.IndexAddInto(this, d, idx, source, alpha);
            Storage.BumpVersion("index_add_");
            return this;
        }
        var tmp = backend.Contiguous(this);
        backend.IndexAddInto(tmp, d, idx, source, alpha);
        backend.CopyInto(this, tmp);
        Storage.BumpVersion("index_add_");
        return this;
    }
}

public static partial class torch
{
    public static partial class nn
    {
        public static partial class functional
        {
            /// <summary>
            /// Weighted row scatter-add, the combine of an MoE layer: a new tensor of <paramref name="rows"/> rows (each shaped
            /// like a row of <paramref name="source"/>) that starts as <paramref name="input"/> (zeros when null) and receives
            /// <c>weight[r] * source[r]</c> at row <c>index[r]</c> for every r (<c>source[r]</c> when <paramref name="weight"/>
            /// is null). The same values as <c>input.index_add(0, index, source * weight.unsqueeze(1))</c> (bitwise on the CPU
            /// backend, up to the sign of a zero row), computed in one pass over the destination rows without the (R, d)
            /// weighted temporary; the backward is one pass too: <c>dsource[r] = weight[r] * g[index[r]]</c>,
            /// <c>dweight[r] = &lt;source[r], g[index[r]]&gt;</c>, <c>dinput = g</c>. Duplicate indices accumulate in increasing
            /// r, for any thread count.
            /// </summary>
            /// <param name="index">1-D int64 destination row of each source row, values in [0, rows).</param>
            /// <param name="source">(R, ...) rows to add.</param>
            /// <param name="weight">(R) weight of each source row, the source's dtype, or null for 1.</param>
            /// <param name="rows">Number of rows of the result.</param>
            /// <param name="input">(rows, ...) values to add onto, or null for zeros.</param>
            /// <exception cref="ArgumentException">Shapes, dtypes or devices do not fit.</exception>
            /// <exception cref="IndexOutOfRangeException">An index is outside [0, rows).</exception>
            public static Tensor index_add_rows(Tensor index, Tensor source, Tensor? weight, long rows, Tensor? input = null) =>
                Tensor.IndexAddRows(index, source, weight, rows, input);
        }
    }

    /// <summary>Values of <paramref name="input"/> at <paramref name="index"/> along <paramref name="dim"/> (see <see cref="Tensor.gather"/>).</summary>
    public static Tensor gather(Tensor input, long dim, Tensor index) => input.gather(dim, index);

    /// <summary>Out-of-place scatter-add (see <see cref="Tensor.scatter_add"/>).</summary>
    public static Tensor scatter_add(Tensor input, long dim, Tensor index, Tensor src) => input.scatter_add(dim, index, src);

    /// <summary>Out-of-place scatter (see <see cref="Tensor.scatter(long, Tensor, Tensor)"/>).</summary>
    public static Tensor scatter(Tensor input, long dim, Tensor index, Tensor src) => input.scatter(dim, index, src);

    /// <summary>Entries of <paramref name="dim"/> listed in <paramref name="index"/> (see <see cref="Tensor.index_select"/>).</summary>
    public static Tensor index_select(Tensor input, long dim, Tensor index) => input.index_select(dim, index);

    /// <summary>Out-of-place index-add (see <see cref="Tensor.index_add"/>).</summary>
    public static Tensor index_add(Tensor input, long dim, Tensor index, Tensor source, double alpha = 1) => input.index_add(dim, index, source, alpha);
}
