// Views of PluginMoE tensors as LibTorch tensors and back: a TorchStorage's buffer is viewed with as_strided, CPU
// arrays (0-dim scalars, copy sources) are pinned and viewed in place, and results become TorchStorage without a copy.
using TS = TorchSharp;
using TT = TorchSharp.torch;

namespace PluginMoE.Tensors.Torch;

public sealed partial class TorchBackend
{
    /// <summary>LibTorch's element type for a PluginMoE one.</summary>
    internal static TT.ScalarType ToTorch(ScalarType t) => t switch
    {
        ScalarType.Float32 => TT.ScalarType.Float32,
        ScalarType.Float64 => TT.ScalarType.Float64,
        ScalarType.Int64 => TT.ScalarType.Int64,
        ScalarType.Int32 => TT.ScalarType.Int32,
        ScalarType.Bool => TT.ScalarType.Bool,
        ScalarType.Float16 => TT.ScalarType.Float16,
        ScalarType.BFloat16 => TT.ScalarType.BFloat16,
        _ => throw new NotSupportedException($"{t} tensors are not supported by the LibTorch backend"),
    };

    /// <summary>PluginMoE's element type for a LibTorch one.</summary>
    internal static ScalarType FromTorch(TT.ScalarType t) => t switch
    {
        TT.ScalarType.Float32 => ScalarType.Float32,
        TT.ScalarType.Float64 => ScalarType.Float64,
        TT.ScalarType.Int64 => ScalarType.Int64,
        TT.ScalarType.Int32 => ScalarType.Int32,
        TT.ScalarType.Bool => ScalarType.Bool,
        TT.ScalarType.Float16 => ScalarType.Float16,
        TT.ScalarType.BFloat16 => ScalarType.BFloat16,
        _ => throw new NotSupportedException($"LibTorch returned a {t} tensor, which PluginMoE.Tensors has no type for"),
    };

    /// <summary>LibTorch's device for this backend's device.</summary>
    internal TT.Device TorchDevice => Device.type == DeviceType.CUDA
        ? new TT.Device(TorchSharp.DeviceType.CUDA, Math.Max(Device.index, 0))
        : TT.CPU;

    /// <summary>Throws unless <paramref name="x"/> is on this backend's device (a 0-dim cpu tensor is accepted, as in PyTorch).</summary>
    private void CheckDevice(Tensor x)
    {
        var d = x.device;
        if (d == Device || (d.type == DeviceType.CPU && x.dim() == 0)) return;
        throw new InvalidOperationException(
            $"expected all tensors on one device, but found two: '{Device}' and '{d}'; move one with .to(device) first");
    }

    /// <summary>A LibTorch view of <paramref name="x"/>'s elements (same memory); disposed with the current dispose scope.</summary>
    internal TT.Tensor T(Tensor x)
    {
        CheckDevice(x);
        return View(x);
    }

    /// <summary>
    /// A LibTorch view of a tensor of this device or of the CPU (only copies, copy_ and to(), read across devices,
    /// as in PyTorch). CPU arrays are pinned and viewed in place.
    /// </summary>
    internal TT.Tensor View(Tensor x)
    {
        var flat = x.Storage switch
        {
            TorchStorage s => s.Buffer,
            ManagedStorage m => TT.frombuffer(ManagedArray(m), ToTorch(x.dtype)),
            var other => throw new InvalidOperationException(
                $"the LibTorch backend cannot read a tensor on '{x.device}' ({other.GetType().Name}); move it with to() first"),
        };
        var v = flat.as_strided(x.shape, x.stride(), x.storage_offset());
        return x.Storage is TorchStorage || x.device.type == DeviceType.CPU && TorchDevice.type == TorchSharp.DeviceType.CPU
            ? v : v.to(TorchDevice);
    }

    private static Array ManagedArray(ManagedStorage m) => m.dtype switch
    {
        ScalarType.Float32 => m.As<float>(),
        ScalarType.Float64 => m.As<double>(),
        ScalarType.Int64 => m.As<long>(),
        ScalarType.Int32 => m.As<int>(),
        ScalarType.Bool => m.As<bool>(),
        ScalarType.Float16 => m.As<Half>(),
        ScalarType.BFloat16 => m.As<BFloat16>(),
        _ => throw new NotSupportedException($"{m.dtype} storage"),
    };

    /// <summary><see cref="T(Tensor)"/> for an optional tensor.</summary>
    internal TT.Tensor? TOpt(Tensor? x) => x is null ? null : T(x);

    /// <summary>
    /// <paramref name="r"/> as a new contiguous tensor of this device, without a copy when <paramref name="r"/> is a
    /// fresh contiguous result (kernels pass results that share no memory with their inputs).
    /// </summary>
    internal Tensor Out(TT.Tensor r)
    {
        var sizes = r.shape.Select(s => checked((int)s)).ToArray();
        var flat = r.contiguous().reshape(-1);
        if (flat.storage_offset() != 0) flat = flat.clone();
        flat = flat.DetachFromDisposeScope();
        var storage = new TorchStorage(flat, FromTorch(r.dtype), Device);
        return new Tensor(storage, sizes, Shape.ContiguousStrides(sizes), 0, FromTorch(r.dtype));
    }

    /// <inheritdoc/>
    public TensorStorage Allocate(ScalarType dtype, int numel, bool zeroed)
    {
        using var _ = TT.NewDisposeScope();
        var flat = zeroed ? TT.zeros([numel], ToTorch(dtype), TorchDevice) : TT.empty([numel], ToTorch(dtype), TorchDevice);
        return new TorchStorage(flat.DetachFromDisposeScope(), dtype, Device);
    }

    /// <inheritdoc/>
    public Tensor CopyToDevice(Tensor src, Device device)
    {
        ArgumentNullException.ThrowIfNull(src);
        using var _ = TT.NewDisposeScope();
        if (device == Device)
        {
            if (src.device != Device && src.device.type != DeviceType.CPU)
                throw new NotSupportedException($"cannot copy from '{src.device}' to '{device}' directly; go through the cpu");
            return Out(View(src).clone());
        }
        if (device.type != DeviceType.CPU || src.device != Device)
            throw new NotSupportedException($"the {Name} backend copies between '{Device}' and 'cpu', not from '{src.device}' to '{device}'");
        var host = Tensor.Empty(src.dtype, src.shape.Select(s => (int)s).ToArray(), Device.CPU);
        if (host.numel() > 0) View(host).copy_(T(src));
        return host;
    }

    /// <summary>Dimension list for LibTorch reductions: all dims when <paramref name="dims"/> is empty.</summary>
    internal static long[] Dims(int[] dims, int rank) =>
        dims.Length == 0 ? Enumerable.Range(0, rank).Select(i => (long)i).ToArray() : dims.Select(d => (long)d).ToArray();

    /// <summary>Removes the given size-1 dims (highest first, so lower indices stay valid).</summary>
    internal static TT.Tensor SqueezeDims(TT.Tensor t, long[] dims)
    {
        foreach (var d in dims.OrderByDescending(d => d)) t = t.squeeze(d);
        return t;
    }

    /// <summary>A LibTorch scalar.</summary>
    internal static TS.Scalar S(double v) => v;
}
