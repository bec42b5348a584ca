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
        var span = index.is_contiguous() ? index.AsSpan<long>() : index.data<long>();
        long min = TensorPrimitives.Min<long>(span), max = TensorPrimitives.Max<long>(span);
        if (min < 0 || max >= size)
        {
            long bad = min < 0 ? min : max;
            throw new IndexOutOfRangeException(
                $"{op}: index {bad} is out of bounds for {(dim >= 0 ? $"dimension {dim} with " : "")}size {size} (valid indices are 0..{size - 1})");
        }
    }
}
