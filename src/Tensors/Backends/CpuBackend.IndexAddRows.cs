// CPU kernels of the weighted row scatter-add (an MoE layer's combine, y[index[r]] += w[r] * x[r], and the backward of a
// row gather) and of its backward. The forward sorts the rows by destination (a stable counting sort) and writes every
// destination row once, in increasing r, without the zero fill and the (R, d) weighted temporary of the composite.
using System.Buffers;
using System.Numerics;
using System.Numerics.Tensors;

namespace PluginMoE.Tensors.Backends;

public sealed partial class CpuBackend
{
    /// <inheritdoc/>
    public Tensor IndexAddRows(Tensor? input, int rows, Tensor index, Tensor source, Tensor? weight)
    {
        int m = source.Sizes[0];
        IndexBounds.Check(index, rows, "index_add_rows", 0);
        if (!index.is_contiguous()) index = Contiguous(index);
        if (!source.is_contiguous()) source = Contiguous(source);
        if (weight is not null && !weight.is_contiguous()) weight = Contiguous(weight);
        if (input is not null && !input.is_contiguous()) input = Contiguous(input);
        var sizes = (int[])source.Sizes.Clone();
        sizes[0] = rows;
        var y = Tensor.Empty(source.dtype, sizes);
        int inner = m == 0 ? Shape.Numel(sizes) / Math.Max(rows, 1) : source.NumelCached / m;
        switch (source.dtype)
        {
            case ScalarType.Float32: IndexAddRowsKernel<float>(input, rows, inner, index, source, weight, y); break;
            case ScalarType.Float64: IndexAddRowsKernel<double>(input, rows, inner, index, source, weight, y); break;
            case ScalarType.Int64 when weight is null: IndexAddRowsKernel<long>(input, rows, inner, index, source, null, y); break;
            case ScalarType.Int32 when weight is null: IndexAddRowsKernel<int>(input, rows, inner, index, source, null, y); break;
            default: throw new NotSupportedException($"index_add_rows: {source.dtype.TorchName()} is not supported{(weight is null ? "" : " with a weight; use float32 or float64")}");
        }
        return y;
    }

    private static void IndexAddRowsKernel<T>(Tensor? input, int rows, int inner, Tensor index, Tensor source, Tensor? weight, Tensor y)
        where T : unmanaged, INumber<T>
    {
        int m = index.NumelCached;
        var Y = y.StorageAs<T>();
        var X = source.StorageAs<T>();
        var I = index.StorageAs<long>();
        var W = weight?.StorageAs<T>();
        var B = input?.StorageAs<T>();
        int xBase = source.Offset, iBase = index.Offset, wBase = weight?.Offset ?? 0, bBase = input?.Offset ?? 0;
        // Stable counting sort of the source rows by destination row (rented: an MoE layer runs this every step).
        var pool = ArrayPool<int>.Shared;
        var start = pool.Rent(rows + 1);
        var order = pool.Rent(Math.Max(m, 1));
        Array.Clear(start, 0, rows + 1);
        for (int j = 0; j < m; j++) start[I[iBase + j] + 1]++;
        for (int r = 0; r < rows; r++) start[r + 1] += start[r];
        var fill = pool.Rent(rows + 1);
        Array.Copy(start, fill, rows + 1);
        for (int j = 0; j < m; j++) order[fill[I[iBase + j]]++] = j;
        pool.Return(fill);
        int perRow = inner * Math.Max(1, m / Math.Max(rows, 1));
        ParallelFor.Run(rows, Math.Max(1, IndexGrain / Math.Max(perRow, 1)), (r0, r1) =>
        {
            for (int r = r0; r < r1; r++)
            {
                var d = Y.AsSpan(r * inner, inner);
                int k = start[r], end = start[r + 1];
                if (B is not null) B.AsSpan(bBase + r * inner, inner).CopyTo(d);
                else if (k == end) d.Clear();
                else
                {
                    // The first contribution is written, not added to zeros.
                    int j = order[k++];
                    var x = X.AsSpan(xBase + j * inner, inner);
                    if (W is null) x.CopyTo(d);
                    else TensorPrimitives.Multiply(x, W[wBase + j], d);
                }
                for (; k < end; k++)
                {
                    int j = order[k];
                    var x = X.AsSpan(xBase + j * inner, inner);
                    if (W is null) TensorPrimitives.Add(d, x, d);
                    else AddScaled(d, x, W[wBase + j]);
                }
            }
        });
        pool.Return(order);
        pool.Return(start);
    }

    /// <summary><c>d[i] = d[i] + (x[i] * w)</c> with the product rounded first (no fused multiply-add), as the composite rounds.</summary>
    private static void AddScaled<T>(Span<T> d, ReadOnlySpan<T> x, T w) where T : unmanaged, INumber<T>
    {
        int i = 0;
        if (Vector.IsHardwareAccelerated && Vector<T>.IsSupported)
        {
            var vw = new Vector<T>(w);
            for (; i <= d.Length - Vector<T>.Count; i += Vector<T>.Count)
            {
                var p = new Vector<T>(x.Slice(i)) * vw;
                (new Vector<T>(d.Slice(i)) + p).CopyTo(d.Slice(i));
            }
        }
        for (; i < d.Length; i++) d[i] += x[i] * w;
    }

    /// <inheritdoc/>
    public (Tensor? dSource, Tensor? dWeight) IndexAddRowsBackward(Tensor grad, Tensor index, Tensor source, Tensor weight, bool needSource, bool needWeight)
    {
        if (!needSource && !needWeight) return (null, null);
        int m = source.Sizes[0], rows = grad.Sizes[0];
        IndexBounds.Check(index, rows, "index_add_rows", 0);
        if (!index.is_contiguous()) index = Contiguous(index);
        if (!source.is_contiguous()) source = Contiguous(source);
        if (!weight.is_contiguous()) weight = Contiguous(weight);
        if (!grad.is_contiguous()) grad = Contiguous(grad);
        var dSource = needSource ? Tensor.Empty(source.dtype, (int[])source.Sizes.Clone()) : null;
        var dWeight = needWeight ? Tensor.Empty(weight.dtype, [m]) : null;
        int inner = m == 0 ? 0 : source.NumelCached / m;
        switch (source.dtype)
        {
            case ScalarType.Float32: IndexAddRowsBackwardKernel<float>(grad, index, source, weight, dSource, dWeight, inner); break;
            case ScalarType.Float64: IndexAddRowsBackwardKernel<double>(grad, index, source, weight, dSource, dWeight, inner); break;
            default: throw new NotSupportedException($"index_add_rows: {source.dtype.TorchName()} is not supported with a weight; use float32 or float64");
        }
        return (dSource, dWeight);
    }

    private static void IndexAddRowsBackwardKernel<T>(Tensor grad, Tensor index, Tensor source, Tensor weight, Tensor? dSource, Tensor? dWeight, int inner)
        where T : unmanaged, INumber<T>
    {
        int m = index.NumelCached;
        var G = grad.StorageAs<T>();
        var X = source.StorageAs<T>();
        var I = index.StorageAs<long>();
        var W = weight.StorageAs<T>();
        var DS = dSource?.StorageAs<T>();
        var DW = dWeight?.StorageAs<T>();
        int gBase = grad.Offset, xBase = source.Offset, iBase = index.Offset, wBase = weight.Offset;
        ParallelFor.Run(m, Math.Max(1, IndexGrain / Math.Max(inner, 1)), (r0, r1) =>
        {
            for (int r = r0; r < r1; r++)
            {
                var g = G.AsSpan(gBase + (int)I[iBase + r] * inner, inner);
                if (DS is not null) TensorPrimitives.Multiply(g, W[wBase + r], DS.AsSpan(r * inner, inner));
                if (DW is not null) DW[r] = TensorPrimitives.Dot<T>(X.AsSpan(xBase + r * inner, inner), g);
            }
        });
    }
}
