// Device selection: which backend runs a tensor's kernels: "cpu" (built in), "torch-cpu" and "cuda[:N]"
// (LibTorch, from the PluginMoE.Tensors.Torch assembly once it is registered).
using PluginMoE.Tensors.Backends;

namespace PluginMoE.Tensors;

/// <summary>Kind of compute device.</summary>
public enum DeviceType
{
    /// <summary>Host CPU (AVX2/FMA kernels, all cores).</summary>
    CPU,
    /// <summary>NVIDIA GPU, served by the LibTorch backend (PluginMoE.Tensors.Torch with TorchSharp-cuda-linux).</summary>
    CUDA,
    /// <summary>Host memory with LibTorch's CPU kernels (PluginMoE.Tensors.Torch); written <c>torch-cpu</c>.</summary>
    TorchCPU,
}

/// <summary>A device a tensor lives on (PyTorch's <c>torch.device</c>).</summary>
/// <param name="type">Kind of device.</param>
/// <param name="index">Device ordinal (-1 for "the current one").</param>
public sealed record Device(DeviceType type, int index = -1)
{
    /// <summary>The CPU device.</summary>
    public static readonly Device CPU = new(DeviceType.CPU);

    /// <summary>True for devices whose tensors live in host memory (<c>cpu</c>, <c>torch-cpu</c>).</summary>
    public bool IsHostMemory => type is DeviceType.CPU or DeviceType.TorchCPU;

    /// <summary>Parses <c>cpu</c>, <c>torch-cpu</c>, <c>cuda</c> or <c>cuda:N</c>.</summary>
    /// <exception cref="ArgumentException">The text names no device kind.</exception>
    public static Device Parse(string spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var s = spec.Trim().ToLowerInvariant();
        var parts = s.Split(':');
        var type = parts[0] switch
        {
            "cpu" => DeviceType.CPU,
            "cuda" => DeviceType.CUDA,
            "torch-cpu" => DeviceType.TorchCPU,
            _ => throw new ArgumentException($"unknown device '{spec}': expected 'cpu', 'torch-cpu', 'cuda' or 'cuda:N'", nameof(spec)),
        };
        int index = -1;
        if (parts.Length == 2 && type != DeviceType.CUDA)
            throw new ArgumentException($"bad device '{spec}': only 'cuda' takes an index ('cuda:N')", nameof(spec));
        if (parts.Length == 2 && !int.TryParse(parts[1], out index))
            throw new ArgumentException($"bad device index in '{spec}': expected 'cuda:N' with N an integer", nameof(spec));
        if (parts.Length > 2) throw new ArgumentException($"malformed device '{spec}'", nameof(spec));
        return new Device(type, index);
    }

    /// <summary>The backend that runs this device's kernels; throws when none is available in this build.</summary>
    public IBackend Backend => BackendRegistry.Get(this);

    /// <inheritdoc/>
    public override string ToString() => type switch
    {
        DeviceType.CPU => "cpu",
        DeviceType.TorchCPU => "torch-cpu",
        _ => index >= 0 ? $"cuda:{index}" : "cuda",
    };
}
