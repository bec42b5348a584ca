// Views of PluginMoE tensors as LibTorch tensors and back: host storage arrays are pinned and viewed in place
// (frombuffer + as_strided), so kernels read inputs and write in-place outputs without copies.
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
        var whole = TT.frombuffer(x.Storage, ToTorch(x.dtype));
        return whole.as_strided(x.shape, x.stride(), x.storage_offset());
    }

    /// <summary>
    /// A LibTorch view of a tensor on any host-memory device: only copies (copy_, to()) may read across devices,
    /// as in PyTorch.
    /// </summary>
    internal TT.Tensor THost(Tensor x)
    {
        if (!x.device.IsHostMemory) CheckDevice(x);
        var whole = TT.frombuffer(x.Storage, ToTorch(x.dtype));
        return whole.as_strided(x.shape, x.stride(), x.storage_offset());
    }

    /// <summary><see cref="T(Tensor)"/> for an optional tensor.</summary>
    internal TT.Tensor? TOpt(Tensor? x) => x is null ? null : T(x);

    /// <summary>A new contiguous tensor on this device holding <paramref name="r"/>'s values.</summary>
    internal Tensor Out(TT.Tensor r)
    {
        var sizes = r.shape.Select(s => checked((int)s)).ToArray();
        var o = Tensor.Empty(FromTorch(r.dtype), sizes, Device);
        if (o.numel() > 0) T(o).copy_(r);
        return o;
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
