// Device selection: which backend runs a tensor's kernels. Only "cpu" exists in this build.
using PluginMoE.Tensors.Backends;

namespace PluginMoE.Tensors;

/// <summary>Kind of compute device.</summary>
public enum DeviceType
{
    /// <summary>Host CPU (AVX2/FMA kernels, all cores).</summary>
    CPU,
    /// <summary>NVIDIA GPU; no backend is shipped in this build.</summary>
    CUDA,
}

/// <summary>A device a tensor lives on (PyTorch's <c>torch.device</c>).</summary>
/// <param name="type">Kind of device.</param>
/// <param name="index">Device ordinal (-1 for "the current one").</param>
public sealed record Device(DeviceType type, int index = -1)
{
    /// <summary>The CPU device.</summary>
    public static readonly Device CPU = new(DeviceType.CPU);

    /// <summary>Parses <c>cpu</c>, <c>cuda</c> or <c>cuda:N</c>.</summary>
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
            _ => throw new ArgumentException($"unknown device '{spec}': expected 'cpu', 'cuda' or 'cuda:N'", nameof(spec)),
        };
        int index = -1;
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
        _ => index >= 0 ? $"cuda:{index}" : "cuda",
    };
}
