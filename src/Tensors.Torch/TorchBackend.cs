// The LibTorch backend: every IBackend kernel as LibTorch operations through TorchSharp, serving the devices
// "torch-cpu" (host memory, LibTorch's CPU kernels) and "cuda"/"cuda:N" (LibTorch CUDA, with TorchSharp-cuda-linux).
// Each kernel runs inside a TorchSharp dispose scope, so every LibTorch temporary is released when it returns.
using PluginMoE.Tensors.Backends;
using PluginMoE.Tensors.Torch.Native;
using TT = TorchSharp.torch;

namespace PluginMoE.Tensors.Torch;

/// <summary>
/// <see cref="IBackend"/> on LibTorch. Tensors of its devices live in <see cref="TorchStorage"/> (LibTorch memory),
/// which each kernel views without copying; results are wrapped as new storages, also without a copy.
/// </summary>
public sealed partial class TorchBackend : IBackend
{
    /// <summary>The package an application references to get LibTorch with CUDA.</summary>
    public const string CudaPackage = "TorchSharp-cuda-linux";

    private static readonly Lock RegisterGate = new();
    private static bool _registered;

    private TorchBackend(Device device)
    {
        Device = device;
    }

    /// <summary>The device this instance serves.</summary>
    public Device Device { get; }

    /// <inheritdoc/>
    public string Name => Device.ToString();

    /// <inheritdoc/>
    public DeviceType DeviceType => Device.type;

    /// <summary>
    /// Loads LibTorch (applying the loader fix where the system needs it, see <see cref="TorchNativeLoader"/>) and
    /// registers this backend for <c>torch-cpu</c> and <c>cuda</c> in <see cref="BackendRegistry"/>. Idempotent.
    /// </summary>
    /// <returns>What the native loader did (one line).</returns>
    public static string Register()
    {
        lock (RegisterGate)
        {
            string status = TorchNativeLoader.EnsureLoaded();
            if (_registered) return status;
            BackendRegistry.Register(DeviceType.TorchCPU, d => new TorchBackend(d));
            BackendRegistry.Register(DeviceType.CUDA, CreateCuda);
            _registered = true;
            return status;
        }
    }

    /// <summary>Whether the loaded LibTorch has CUDA support and sees at least one GPU.</summary>
    public static bool CudaAvailable()
    {
        TorchNativeLoader.EnsureLoaded();
        // TorchSharp-cpu ships no libtorch_cuda.so; asking LibTorch's CUDA loader then only prints a load trace.
        string? bridge = TorchNativeLoader.FindBridge();
        if (bridge != null && !File.Exists(Path.Combine(Path.GetDirectoryName(bridge)!, "libtorch_cuda.so"))) return false;
        try { return TT.cuda.is_available(); }
        catch (Exception e) when (e is NotSupportedException or InvalidOperationException or DllNotFoundException) { return false; }
    }

    private static IBackend CreateCuda(Device device)
    {
        if (!CudaAvailable())
            throw new NotSupportedException(
                $"device '{device}' needs LibTorch with CUDA, but this process loaded LibTorch for CPU (package TorchSharp-cpu). " +
                $"On a Linux machine with an NVIDIA GPU and driver, reference the package {CudaPackage} (version 0.107.0, the " +
                "same managed API) instead of TorchSharp-cpu in the application that loads PluginMoE.Tensors.Torch; " +
                "here, use 'torch-cpu' or 'cpu'");
        int count = TT.cuda.device_count();
        if (device.index >= count)
            throw new NotSupportedException($"device '{device}' does not exist: LibTorch sees {count} CUDA device(s) (cuda:0 to cuda:{count - 1})");
        return new TorchBackend(device);
    }
}
