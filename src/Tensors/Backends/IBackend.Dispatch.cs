// Kernel family: the integer bookkeeping of MoE token dispatch (cumsum, bincount, repeat_interleave,
// one_hot, nonzero). All are sequential within a line, so results never depend on the thread count.
namespace PluginMoE.Tensors.Backends;

public partial interface IBackend
{
    /// <summary>
    /// Inclusive prefix sum along <paramref name="dim"/> (from the end when <paramref name="reverse"/>). Float
    /// inputs keep their type; integer and bool inputs give int64. Returns a contiguous tensor.
    /// </summary>
    Tensor Cumsum(Tensor x, int dim, bool reverse);

    /// <summary>
    /// Occurrence counts of each value of the 1-D non-negative int64 <paramref name="input"/> (length
    /// max(input)+1, at least <paramref name="minlength"/>): int64, or the sums of the float
    /// <paramref name="weights"/> (same length as input) in their type.
    /// </summary>
    Tensor Bincount(Tensor input, Tensor? weights, int minlength);

    /// <summary>For a 1-D non-negative int64 <paramref name="repeats"/>: i repeated repeats[i] times, in order (int64).</summary>
    Tensor RepeatIndex(Tensor repeats);

    /// <summary>int64 tensor of shape (..., <paramref name="numClasses"/>) with a 1 at each value of the int64 <paramref name="index"/>.</summary>
    Tensor OneHot(Tensor index, int numClasses);

    /// <summary>Coordinates (count, rank), int64 and in row-major order, of the non-zero elements of <paramref name="x"/>.</summary>
    Tensor Nonzero(Tensor x);
}
