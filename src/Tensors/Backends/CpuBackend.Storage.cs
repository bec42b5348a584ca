// CPU storage allocation: managed arrays (see Storage/ManagedStorage.cs).
namespace PluginMoE.Tensors.Backends;

public sealed partial class CpuBackend
{
    /// <inheritdoc/>
    public TensorStorage Allocate(ScalarType dtype, int numel, bool zeroed)
    {
        var s = ManagedStorage.Allocate(dtype, numel);
        if (zeroed) s.Clear();
        return s;
    }
}
