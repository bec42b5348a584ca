// The backend seam: kernels sit behind this interface, selected by device. The CPU backend
// implements it now; a CUDA backend is a later addition selected by configuration.
namespace PluginMoE.Tensors.Backends;

/// <summary>
/// A set of compute kernels for one device kind. Kernels take and return tensors of their
/// device; they never record autograd history (the <c>torch</c> op layer does that).
/// The interface is split across topic files (one per kernel family).
/// </summary>
public partial interface IBackend
{
    /// <summary>Short name, e.g. <c>cpu</c>.</summary>
    string Name { get; }

    /// <summary>The device kind this backend serves.</summary>
    DeviceType DeviceType { get; }
}

/// <summary>Finds the backend for a device.</summary>
public static class BackendRegistry
{
    private static readonly CpuBackend Cpu = new();

    /// <summary>The backend for <paramref name="device"/>.</summary>
    /// <exception cref="NotSupportedException">No backend for that device kind is available in this build.</exception>
    public static IBackend Get(Device device)
    {
        ArgumentNullException.ThrowIfNull(device);
        return device.type switch
        {
            DeviceType.CPU => Cpu,
            _ => throw new NotSupportedException(
                $"device '{device}' was requested, but no CUDA backend is available in this build of PluginMoE.Tensors " +
                "(available devices: cpu). Set the device to 'cpu' in your configuration."),
        };
    }
}

/// <summary>The CPU backend: AVX2/FMA and TensorPrimitives kernels, work split deterministically over cores.</summary>
public sealed partial class CpuBackend : IBackend
{
    /// <inheritdoc/>
    public string Name => "cpu";

    /// <inheritdoc/>
    public DeviceType DeviceType => DeviceType.CPU;
}
