// Kernel family: indexing along a dimension (gather/scatter, index_select/index_add). Index tensors are
// int64 (gather/scatter accept any layout); accumulation kernels add in a fixed order so results are bitwise reproducible.
namespace PluginMoE.Tensors.Backends;

public partial interface IBackend
{
    /// <summary>
    /// <c>out[..., j, ...] = self[..., index[..., j, ...], ...]</c> along <paramref name="dim"/>; the result has
    /// <paramref name="index"/>'s shape. <paramref name="index"/>: int64 (any layout, e.g. expanded) of <paramref name="self"/>'s rank,
    /// no larger than <paramref name="self"/> outside <paramref name="dim"/>.
    /// </summary>
    /// <exception cref="IndexOutOfRangeException">An index is outside [0, self.size(dim)).</exception>
    Tensor Gather(Tensor self, int dim, Tensor index);

    /// <summary>
    /// In place on <paramref name="self"/> (any layout): <c>self[..., index[..., j, ...], ...] += src[..., j, ...]</c>
    /// (or <c>=</c> when <paramref name="accumulate"/> is false; the last j wins for duplicates). Each destination
    /// element receives its contributions in increasing j order, whatever the thread count.
    /// </summary>
    /// <exception cref="IndexOutOfRangeException">An index is outside [0, self.size(dim)).</exception>
    void ScatterInto(Tensor self, int dim, Tensor index, Tensor src, bool accumulate);

    /// <summary>
    /// Rows <paramref name="index"/> (1-D contiguous int64) of <paramref name="self"/> along <paramref name="dim"/>:
    /// a contiguous tensor of <paramref name="self"/>'s shape with size(dim) = index.numel().
    /// </summary>
    /// <exception cref="IndexOutOfRangeException">An index is outside [0, self.size(dim)).</exception>
    Tensor IndexSelect(Tensor self, int dim, Tensor index);

    /// <summary>
    /// In place on the contiguous <paramref name="self"/>: <c>self.select(dim, index[j]) += alpha * source.select(dim, j)</c>
    /// for each j. Duplicated indices accumulate in increasing j order (deterministic for any thread count); the work
    /// is proportional to <paramref name="source"/>'s size plus self.size(dim).
    /// </summary>
    /// <exception cref="IndexOutOfRangeException">An index is outside [0, self.size(dim)).</exception>
    void IndexAddInto(Tensor self, int dim, Tensor index, Tensor source, double alpha);

    /// <summary>
    /// Weighted row scatter-add, the combine of an MoE layer (and the backward of a row gather): a new contiguous tensor
    /// of <paramref name="rows"/> rows shaped like <paramref name="source"/>'s rows, that starts as a copy of
    /// <paramref name="input"/> (zeros when null) and receives <c>weight[r] * source[r]</c> (<c>source[r]</c> when
    /// <paramref name="weight"/> is null) at row <c>index[r]</c>. Each destination row takes its contributions in
    /// increasing r, each rounded as <c>y + (w * x)</c>, so the result is bitwise that of <c>input.index_add(0, index,
    /// source * weight.unsqueeze(1))</c> for any thread count. <paramref name="index"/>: 1-D int64 of length R =
    /// source.size(0), values in [0, rows); <paramref name="weight"/>: 1-D of length R, the source's dtype. The default is
    /// that composite (the LibTorch backend uses it); the CPU backend writes every destination row once, without the
    /// zero fill, the (R, d) weighted temporary or its second pass.
    /// </summary>
    /// <exception cref="IndexOutOfRangeException">An index is outside [0, rows).</exception>
    Tensor IndexAddRows(Tensor? input, int rows, Tensor index, Tensor source, Tensor? weight)
    {
        var sizes = (int[])source.Sizes.Clone();
        sizes[0] = rows;
        var y = Tensor.Empty(source.dtype, sizes, source.device);
        if (input is null) Fill(y, 0);
        else CopyInto(y, input);
        IndexAddInto(y, 0, index, weight is null ? source : Binary(BinaryOp.Mul, source, IndexAddRowsParts.AsColumn(weight, source.Sizes.Length)), 1);
        return y;
    }

    /// <summary>
    /// The backward of <see cref="IndexAddRows"/> with a weight, for the source and the weight: <c>dSource[r] = weight[r] *
    /// grad[index[r]]</c> (when <paramref name="needSource"/>) and <c>dWeight[r] = sum_c source[r, c] * grad[index[r], c]</c>
    /// (when <paramref name="needWeight"/>), both new and contiguous, null when not asked for. The default gathers the
    /// gradient rows and multiplies and sums them as the composite's backward does; the CPU backend does both in one pass
    /// over the rows without the gathered (R, d) temporary.
    /// </summary>
    (Tensor? dSource, Tensor? dWeight) IndexAddRowsBackward(Tensor grad, Tensor index, Tensor source, Tensor weight, bool needSource, bool needWeight)
    {
        var gi = IndexSelect(grad, 0, index);
        var dSource = needSource ? Binary(BinaryOp.Mul, gi, IndexAddRowsParts.AsColumn(weight, source.Sizes.Length)) : null;
        Tensor? dWeight = null;
        if (needWeight)
        {
            var dims = Enumerable.Range(1, source.Sizes.Length - 1).ToArray();
            dWeight = dims.Length == 0 ? Binary(BinaryOp.Mul, gi, source) : Sum(Binary(BinaryOp.Mul, gi, source), dims, keepdim: false);
        }
        return (dSource, dWeight);
    }
}

/// <summary>Helpers of the default <see cref="IBackend.IndexAddRows"/> composite.</summary>
internal static class IndexAddRowsParts
{
    /// <summary>A 1-D weight as a (R, 1, ..., 1) view of <paramref name="rank"/> dimensions that broadcasts over a row.</summary>
    public static Tensor AsColumn(Tensor weight, int rank)
    {
        var sizes = new int[rank];
        var strides = new int[rank];
        sizes[0] = weight.Sizes[0];
        strides[0] = weight.Strides[0];
        for (int i = 1; i < rank; i++) sizes[i] = 1;
        return new Tensor(weight.Storage, sizes, strides, weight.Offset, weight.dtype);
    }
}
