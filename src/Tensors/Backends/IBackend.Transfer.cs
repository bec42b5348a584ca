// Kernel family: copies between devices (Tensor.to(device)).
namespace PluginMoE.Tensors.Backends;

public partial interface IBackend
{
    /// <summary>
    /// A contiguous copy of <paramref name="src"/> on <paramref name="device"/>. <see cref="Tensor.to(Device)"/> asks the
    /// backend of the non-CPU side, so a backend copies between its own device(s) and the CPU in both directions.
    /// </summary>
    /// <exception cref="NotSupportedException">This backend cannot copy between those two devices.</exception>
    Tensor CopyToDevice(Tensor src, Device device);
}
