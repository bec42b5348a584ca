// CPU side of device copies: only CPU to CPU; other backends copy to and from the CPU themselves.
namespace PluginMoE.Tensors.Backends;

public sealed partial class CpuBackend
{
    /// <inheritdoc/>
    public Tensor CopyToDevice(Tensor src, Device device)
    {
        ArgumentNullException.ThrowIfNull(src);
        if (src.device.type == DeviceType.CPU && device.type == DeviceType.CPU) return Contiguous(src);
        throw new NotSupportedException($"the cpu backend cannot copy from '{src.device}' to '{device}'; that device's backend does");
    }
}
