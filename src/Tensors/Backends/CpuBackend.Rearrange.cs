// CPU tril/triu (zero-fill outside a band of each trailing matrix) and flip (a reversed-stride copy).
namespace PluginMoE.Tensors.Backends;

public sealed partial class CpuBackend
{
    /// <inheritdoc/>
    public Tensor Triangle(Tensor x, long diagonal, bool upper)
    {
        var r = Contiguous(x);
        int rank = r.Sizes.Length;
        int rows = r.Sizes[rank - 2], cols = r.Sizes[rank - 1];
        int mats = rows * cols == 0 ? 0 : r.NumelCached / (rows * cols);
        switch (r.dtype)
        {
            case ScalarType.Float32: TriangleKernel<float>(r, mats, rows, cols, diagonal, upper); break;
            case ScalarType.Float64: TriangleKernel<double>(r, mats, rows, cols, diagonal, upper); break;
            case ScalarType.Int64: TriangleKernel<long>(r, mats, rows, cols, diagonal, upper); break;
            case ScalarType.Int32: TriangleKernel<int>(r, mats, rows, cols, diagonal, upper); break;
            case ScalarType.Bool: TriangleKernel<bool>(r, mats, rows, cols, diagonal, upper); break;
            case ScalarType.Float16: TriangleKernel<Half>(r, mats, rows, cols, diagonal, upper); break;
            case ScalarType.BFloat16: TriangleKernel<BFloat16>(r, mats, rows, cols, diagonal, upper); break;
            default: throw new NotSupportedException($"{(upper ? "triu" : "tril")}: {r.dtype.TorchName()} is not supported");
        }
        return r;
    }

    private static void TriangleKernel<T>(Tensor r, int mats, int rows, int cols, long diagonal, bool upper) where T : unmanaged
    {
        var R = r.StorageAs<T>();
        ParallelFor.Run(mats * rows, Math.Max(1, ElementwiseGrain / Math.Max(cols, 1)), (r0, r1) =>
        {
            for (int row = r0; row < r1; row++)
            {
                long i = row % rows;
                // Columns kept: j <= i + diagonal (tril) or j >= i + diagonal (triu).
                long edge = Math.Clamp(i + diagonal + (upper ? 0 : 1), 0, cols);
                var line = R.AsSpan(row * cols, cols);
                if (upper) line[..(int)edge].Clear();
                else line[(int)edge..].Clear();
            }
        });
    }

    /// <inheritdoc/>
    public Tensor Flip(Tensor x, int[] dims)
    {
        var strides = (int[])x.Strides.Clone();
        int offset = x.Offset;
        foreach (var d in dims)
        {
            if (x.Sizes[d] == 0) return Tensor.Empty(x.dtype, (int[])x.Sizes.Clone());
            offset += (x.Sizes[d] - 1) * strides[d];
            strides[d] = -strides[d];
        }
        // A negative-stride view exists only inside this kernel; the strided copy walks it like any layout.
        var reversed = new Tensor(x.Storage, (int[])x.Sizes.Clone(), strides, offset, x.dtype);
        var r = Tensor.Empty(x.dtype, (int[])x.Sizes.Clone());
        CopyInto(r, reversed);
        return r;
    }
}
