// Kernel family: stable sort and top-k along a dimension (NaN ranks above +inf, as in PyTorch).
namespace PluginMoE.Tensors.Backends;

public partial interface IBackend
{
    /// <summary>
    /// Sorts along <paramref name="dim"/>, stably: equal keys keep their original order (also when
    /// <paramref name="descending"/>). Returns contiguous values and int64 positions in the input.
    /// </summary>
    (Tensor values, Tensor indices) Sort(Tensor x, int dim, bool descending);

    /// <summary>
    /// The <paramref name="k"/> largest (or smallest) entries along <paramref name="dim"/>, best first; ties go to the
    /// lower index. Returns contiguous values and int64 positions in the input.
    /// </summary>
    (Tensor values, Tensor indices) TopK(Tensor x, int k, int dim, bool largest);
}
