// The backend seam: kernels sit behind this interface, selected by device. The CPU backend is built in;
// other backends (the LibTorch one in PluginMoE.Tensors.Torch: torch-cpu, cuda) register themselves.
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
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<DeviceType, Func<Device, IBackend>> Factories = new();
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<Device, IBackend> Resolved = new();

    /// <summary>
    /// Makes <paramref name="factory"/> serve devices of kind <paramref name="type"/> (the LibTorch backend registers
    /// <see cref="DeviceType.TorchCPU"/> and <see cref="DeviceType.CUDA"/>). The factory may throw a clear error
    /// for a device it cannot serve; it is asked once per device.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="type"/> is <see cref="DeviceType.CPU"/>, which is built in.</exception>
    public static void Register(DeviceType type, Func<Device, IBackend> factory)
    {
        ArgumentNullException.ThrowIfNull(factory);
        if (type == DeviceType.CPU) throw new ArgumentException("the cpu backend is built in and cannot be replaced", nameof(type));
        Factories[type] = factory;
        foreach (var d in Resolved.Keys) if (d.type == type) Resolved.TryRemove(d, out _);
    }

    /// <summary>Whether a backend serves devices of kind <paramref name="type"/> in this process.</summary>
    public static bool IsRegistered(DeviceType type) => type == DeviceType.CPU || Factories.ContainsKey(type);

    /// <summary>The backend for <paramref name="device"/>.</summary>
    /// <exception cref="NotSupportedException">No backend for that device kind is available in this process.</exception>
    public static IBackend Get(Device device)
    {
        ArgumentNullException.ThrowIfNull(device);
        if (device.type == DeviceType.CPU) return Cpu;
        if (Resolved.TryGetValue(device, out var b)) return b;
        if (!Factories.TryGetValue(device.type, out var factory))
            throw new NotSupportedException(
                $"device '{device}' was requested, but its backend is not loaded: '{device}' runs on LibTorch through the " +
                "PluginMoE.Tensors.Torch assembly (the host loads it for Run:Device; a library calls " +
                "PluginMoE.Tensors.Torch.TorchBackend.Register()). Built-in device: cpu.");
        return Resolved.GetOrAdd(device, factory);
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
