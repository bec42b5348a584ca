// Kernel family: joining tensors along a dimension (cat; stack is cat of unsqueezed inputs).
namespace PluginMoE.Tensors.Backends;

public partial interface IBackend
{
    /// <summary>
    /// Concatenates <paramref name="tensors"/> (same dtype and rank, equal sizes except along <paramref name="dim"/>)
    /// into a new contiguous tensor.
    /// </summary>
    Tensor Cat(Tensor[] tensors, int dim);
}
