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
}
