// Kernel family: storage allocation (each backend owns the memory of its tensors).
namespace PluginMoE.Tensors.Backends;

public partial interface IBackend
{
    /// <summary>
    /// A new storage of <paramref name="numel"/> elements of <paramref name="dtype"/> on this backend's device:
    /// zero-filled when <paramref name="zeroed"/>, otherwise with unspecified contents.
    /// </summary>
    TensorStorage Allocate(ScalarType dtype, int numel, bool zeroed);
}
