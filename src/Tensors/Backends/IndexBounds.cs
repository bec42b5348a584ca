// Validation of index tensors shared by every indexing kernel and op: dtype and value range, with an
// error that names the op, the offending value and the valid range.
using System.Numerics.Tensors;

namespace PluginMoE.Tensors.Backends;

/// <summary>Bounds checks for int64 index tensors.</summary>
internal static class IndexBounds
{
    /// <summary>
    /// Throws when a value of the int64 <paramref name="index"/> lies outside [0, <paramref name="size"/>); the message
    /// names <paramref name="op"/> and <paramref name="dim"/> (omitted when negative).
    /// </summary>
    public static void Check(Tensor index, int size, string op, int dim)
    {
        if (index.dtype != ScalarType.Int64)
            throw new ArgumentException($"{op}: index must be an int64 tensor, got {index.dtype.TorchName()}");
        if (index.NumelCached == 0) return;
        if (index.device.type != DeviceType.CPU) index = index.to(Device.CPU); // the op layer checks indices of any device
        var span = index.is_contiguous() ? index.AsSpan<long>() : Distinct(index).data<long>();
        long min = TensorPrimitives.Min<long>(span), max = TensorPrimitives.Max<long>(span);
        if (min < 0 || max >= size)
        {
            long bad = min < 0 ? min : max;
            throw new IndexOutOfRangeException(
                $"{op}: index {bad} is out of bounds for {(dim >= 0 ? $"dimension {dim} with " : "")}size {size} (valid indices are 0..{size - 1})");
        }
    }

    /// <summary>The view without its broadcast (stride-0) repeats: an expanded index is checked once per stored value.</summary>
    private static Tensor Distinct(Tensor t)
    {
        var sizes = (int[])t.Sizes.Clone();
        for (int d = 0; d < sizes.Length; d++)
            if (t.Strides[d] == 0) sizes[d] = Math.Min(sizes[d], 1);
        return new Tensor(t.Storage, sizes, t.Strides, t.Offset, t.dtype);
    }
}
