// Kernel family: max/min reductions (with and without indices) and the stable log-sum-exp.
namespace PluginMoE.Tensors.Backends;

public partial interface IBackend
{
    /// <summary>
    /// Largest (<paramref name="max"/> true) or smallest element along <paramref name="dim"/> and its int64 index
    /// (first occurrence on ties; NaN wins and propagates). The dim must not be empty.
    /// </summary>
    (Tensor values, Tensor indices) MaxMinDim(Tensor x, int dim, bool keepdim, bool max);

    /// <summary>
    /// Gradient of <see cref="MaxMinDim"/>: a zero tensor of <paramref name="inputSizes"/> with <paramref name="grad"/>
    /// scattered to the positions <paramref name="indices"/> along <paramref name="dim"/>.
    /// </summary>
    Tensor MaxMinDimBackward(Tensor grad, Tensor indices, int[] inputSizes, int dim, bool keepdim);

    /// <summary>Largest (<paramref name="max"/> true) or smallest element over <paramref name="dims"/> (sorted, distinct; all when empty); NaN propagates.</summary>
    Tensor AMaxMin(Tensor x, int[] dims, bool keepdim, bool max);

    /// <summary>log(sum(exp(x))) over <paramref name="dims"/> (sorted, distinct; all when empty), shifted by the maximum so it never overflows.</summary>
    Tensor LogSumExp(Tensor x, int[] dims, bool keepdim);
}
