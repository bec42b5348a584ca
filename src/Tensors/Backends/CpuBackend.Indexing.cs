// CPU kernels for gather/scatter and index_select/index_add. Work is split over destination lines or
// rows so that no two threads touch one element and every element accumulates in index order.
using System.Numerics;
using System.Numerics.Tensors;

namespace PluginMoE.Tensors.Backends;

public sealed partial class CpuBackend
{
    private const int IndexGrain = 1 << 14;

    /// <summary>
    /// Storage offsets, under <paramref name="strides"/>, of every coordinate of dims [from, to) of
    /// <paramref name="shape"/> enumerated in row-major order.
    /// </summary>
    private static int[] DimOffsets(int[] shape, int[] strides, int from, int to)
    {
        int count = 1;
        for (int d = from; d < to; d++) count *= shape[d];
        var r = new int[count];
        if (count == 0) return r;
        var idx = new int[Math.Max(to - from, 0)];
        int off = 0;
        for (int k = 0; k < count; k++)
        {
            r[k] = off;
            for (int d = to - 1; d >= from; d--)
            {
                int i = d - from;
                idx[i]++;
                off += strides[d];
                if (idx[i] < shape[d]) break;
                off -= strides[d] * shape[d];
                idx[i] = 0;
            }
        }
        return r;
    }

    private static (int outer, int len, int inner) Split(int[] sizes, int dim)
    {
        int outer = 1, inner = 1;
        for (int d = 0; d < dim; d++) outer *= sizes[d];
        for (int d = dim + 1; d < sizes.Length; d++) inner *= sizes[d];
        return (outer, sizes.Length == 0 ? 1 : sizes[dim], inner);
    }

    // ------------------------------------------------------------------ gather / scatter

    /// <inheritdoc/>
    public Tensor Gather(Tensor self, int dim, Tensor index)
    {
        IndexBounds.Check(index, self.Sizes.Length == 0 ? 1 : self.Sizes[dim], "gather", dim);
        var r = Tensor.Empty(self.dtype, (int[])index.Sizes.Clone());
        switch (self.dtype)
        {
            case ScalarType.Float32: GatherKernel<float>(self, dim, index, r); break;
            case ScalarType.Float64: GatherKernel<double>(self, dim, index, r); break;
            case ScalarType.Int64: GatherKernel<long>(self, dim, index, r); break;
            case ScalarType.Int32: GatherKernel<int>(self, dim, index, r); break;
            case ScalarType.Bool: GatherKernel<bool>(self, dim, index, r); break;
            case ScalarType.Float16: GatherKernel<Half>(self, dim, index, r); break;
            case ScalarType.BFloat16: GatherKernel<BFloat16>(self, dim, index, r); break;
            default: throw new NotSupportedException($"gather: {self.dtype.TorchName()} is not supported");
        }
        return r;
    }

    private static void GatherKernel<T>(Tensor self, int dim, Tensor index, Tensor r) where T : unmanaged
    {
        if (index.NumelCached == 0) return;
        var shape = index.Sizes.Length == 0 ? [1] : index.Sizes;
        int[] selfStrides = self.Strides.Length == 0 ? [0] : self.Strides;
        int[] idxStrides = index.Strides.Length == 0 ? [0] : index.Strides;
        var (outer, m, inner) = Split(shape, dim);
        var so = DimOffsets(shape, selfStrides, 0, dim);
        var si = DimOffsets(shape, selfStrides, dim + 1, shape.Length);
        var io = DimOffsets(shape, idxStrides, 0, dim);
        var ii = DimOffsets(shape, idxStrides, dim + 1, shape.Length);
        int sd = selfStrides[dim], id = idxStrides[dim], sBase = self.Offset, iBase = index.Offset;
        var X = self.StorageAs<T>();
        var I = index.StorageAs<long>();
        var R = r.StorageAs<T>();
        ParallelFor.Run(outer * m, Math.Max(1, IndexGrain / Math.Max(inner, 1)), (r0, r1) =>
        {
            for (int row = r0; row < r1; row++)
            {
                int o = row / m, j = row - o * m;
                int ib = iBase + io[o] + j * id, rb = row * inner, ob = sBase + so[o];
                for (int c = 0; c < inner; c++)
                    R[rb + c] = X[ob + (int)I[ib + ii[c]] * sd + si[c]];
            }
        });
    }

    /// <inheritdoc/>
    public void ScatterInto(Tensor self, int dim, Tensor index, Tensor src, bool accumulate)
    {
        string op = accumulate ? "scatter_add" : "scatter";
        if (src.dtype != self.dtype)
            throw new ArgumentException($"{op}: src ({src.dtype.TorchName()}) must have the same dtype as self ({self.dtype.TorchName()})");
        IndexBounds.Check(index, self.Sizes.Length == 0 ? 1 : self.Sizes[dim], op, dim);
        switch (self.dtype)
        {
            case ScalarType.Float32: ScatterKernel<float>(self, dim, index, src, accumulate); break;
            case ScalarType.Float64: ScatterKernel<double>(self, dim, index, src, accumulate); break;
            case ScalarType.Int64: ScatterKernel<long>(self, dim, index, src, accumulate); break;
            case ScalarType.Int32: ScatterKernel<int>(self, dim, index, src, accumulate); break;
            default: throw new NotSupportedException($"{op}: {self.dtype.TorchName()} is not supported");
        }
    }

    private static void ScatterKernel<T>(Tensor self, int dim, Tensor index, Tensor src, bool accumulate) where T : unmanaged, INumber<T>
    {
        var shape = index.Sizes;
        if (index.NumelCached == 0) return;
        if (shape.Length == 0) shape = [1];
        int[] selfStrides = self.Strides.Length == 0 ? [0] : self.Strides;
        int[] srcStrides = src.Strides.Length == 0 ? [0] : src.Strides;
        int[] idxStrides = index.Strides.Length == 0 ? [0] : index.Strides;
        var (outer, m, inner) = Split(shape, dim);
        var io = DimOffsets(shape, idxStrides, 0, dim);
        var ii = DimOffsets(shape, idxStrides, dim + 1, shape.Length);
        var so = DimOffsets(shape, selfStrides, 0, dim);
        var si = DimOffsets(shape, selfStrides, dim + 1, shape.Length);
        var xo = DimOffsets(shape, srcStrides, 0, dim);
        var xi = DimOffsets(shape, srcStrides, dim + 1, shape.Length);
        int sd = selfStrides[dim], xd = srcStrides[dim], id = idxStrides[dim];
        int sBase = self.Offset, xBase = src.Offset, iBase = index.Offset;
        var S = self.StorageAs<T>();
        var X = src.StorageAs<T>();
        var I = index.StorageAs<long>();

        // A destination element is reached only from the line (o, c) with its own outer/inner coordinates, so
        // splitting over o or over c never shares an element between threads; along a line j runs upwards.
        void Lines(int o0, int o1, int c0, int c1)
        {
            for (int o = o0; o < o1; o++)
                for (int j = 0; j < m; j++)
                {
                    int ib = iBase + io[o] + j * id;
                    int db = sBase + so[o], xb = xBase + xo[o] + j * xd;
                    if (accumulate)
                        for (int c = c0; c < c1; c++) S[db + (int)I[ib + ii[c]] * sd + si[c]] += X[xb + xi[c]];
                    else
                        for (int c = c0; c < c1; c++) S[db + (int)I[ib + ii[c]] * sd + si[c]] = X[xb + xi[c]];
                }
        }

        int work = outer * m * inner;
        if (outer >= inner)
            ParallelFor.Run(outer, Math.Max(1, IndexGrain / Math.Max(m * inner, 1)), (o0, o1) => Lines(o0, o1, 0, inner));
        else
            ParallelFor.Run(inner, Math.Max(1, (int)Math.Min(int.MaxValue, (long)IndexGrain * inner / Math.Max(work, 1))), (c0, c1) => Lines(0, outer, c0, c1));
    }

    // ------------------------------------------------------------------ index_select / index_add

    /// <inheritdoc/>
    public Tensor IndexSelect(Tensor self, int dim, Tensor index)
    {
        int n = self.Sizes.Length == 0 ? 1 : self.Sizes[dim];
        IndexBounds.Check(index, n, "index_select", dim);
        if (!index.is_contiguous()) index = Contiguous(index);
        if (!self.is_contiguous()) self = Contiguous(self);
        var sizes = (int[])self.Sizes.Clone();
        if (sizes.Length > 0) sizes[dim] = index.NumelCached;
        var r = Tensor.Empty(self.dtype, sizes);
        switch (self.dtype)
        {
            case ScalarType.Float32: IndexSelectKernel<float>(self, dim, index, r); break;
            case ScalarType.Float64: IndexSelectKernel<double>(self, dim, index, r); break;
            case ScalarType.Int64: IndexSelectKernel<long>(self, dim, index, r); break;
            case ScalarType.Int32: IndexSelectKernel<int>(self, dim, index, r); break;
            case ScalarType.Bool: IndexSelectKernel<bool>(self, dim, index, r); break;
            case ScalarType.Float16: IndexSelectKernel<Half>(self, dim, index, r); break;
            case ScalarType.BFloat16: IndexSelectKernel<BFloat16>(self, dim, index, r); break;
            default: throw new NotSupportedException($"index_select: {self.dtype.TorchName()} is not supported");
        }
        return r;
    }

    private static void IndexSelectKernel<T>(Tensor self, int dim, Tensor index, Tensor r) where T : unmanaged
    {
        if (self.Sizes.Length == 0)
        {
            if (r.NumelCached > 0) r.StorageAs<T>()[0] = self.StorageAs<T>()[self.Offset];
            return;
        }
        var (outer, n, inner) = Split(self.Sizes, dim);
        int m = index.NumelCached;
        var X = self.StorageAs<T>();
        var I = index.StorageAs<long>();
        var R = r.StorageAs<T>();
        int xBase = self.Offset, iBase = index.Offset;
        ParallelFor.Run(outer * m, Math.Max(1, IndexGrain / Math.Max(inner, 1)), (r0, r1) =>
        {
            for (int row = r0; row < r1; row++)
            {
                int o = row / m, j = row - o * m;
                X.AsSpan(xBase + (o * n + (int)I[iBase + j]) * inner, inner).CopyTo(R.AsSpan(row * inner, inner));
            }
        });
    }

    /// <inheritdoc/>
    public void IndexAddInto(Tensor self, int dim, Tensor index, Tensor source, double alpha)
    {
        if (source.dtype != self.dtype)
            throw new ArgumentException($"index_add: source ({source.dtype.TorchName()}) must have the same dtype as self ({self.dtype.TorchName()})");
        if (!self.is_contiguous()) throw new ArgumentException("index_add: the destination kernel needs a contiguous self");
        int n = self.Sizes.Length == 0 ? 1 : self.Sizes[dim];
        IndexBounds.Check(index, n, "index_add", dim);
        if (!index.is_contiguous()) index = Contiguous(index);
        if (!source.is_contiguous()) source = Contiguous(source);
        switch (self.dtype)
        {
            case ScalarType.Float32: IndexAddKernel(self, dim, index, source, (float)alpha); break;
            case ScalarType.Float64: IndexAddKernel(self, dim, index, source, alpha); break;
            case ScalarType.Int64: IndexAddKernel(self, dim, index, source, (long)alpha); break;
            case ScalarType.Int32: IndexAddKernel(self, dim, index, source, (int)alpha); break;
            default: throw new NotSupportedException($"index_add: {self.dtype.TorchName()} is not supported");
        }
    }

    private static void IndexAddKernel<T>(Tensor self, int dim, Tensor index, Tensor source, T alpha) where T : unmanaged, INumber<T>
    {
        int m = index.NumelCached;
        if (m == 0 || self.NumelCached == 0) return;
        var (outer, n, inner) = self.Sizes.Length == 0 ? (1, 1, 1) : Split(self.Sizes, dim);
        var S = self.StorageAs<T>();
        var X = source.StorageAs<T>();
        var I = index.StorageAs<long>();
        int sBase = self.Offset, xBase = source.Offset, iBase = index.Offset;
        bool one = alpha == T.One;

        void AddRow(int dst, int src, int c0, int len)
        {
            var d = S.AsSpan(dst + c0, len);
            var x = X.AsSpan(src + c0, len);
            if (one) TensorPrimitives.Add(d, x, d);
            else TensorPrimitives.MultiplyAdd(x, alpha, d, d);
        }

        if (outer == 1)
        {
            // Group the source rows by destination row (a stable counting sort), then give each thread a block of
            // destination rows: every row sums its sources in increasing j, with no two threads sharing a row.
            // The sort's buffers are rented (an MoE layer's combine runs this on N*k rows every step).
            var pool = System.Buffers.ArrayPool<int>.Shared;
            var start = pool.Rent(n + 1);
            var order = pool.Rent(m);
            var fill = pool.Rent(n + 1);
            Array.Clear(start, 0, n + 1);
            for (int j = 0; j < m; j++) start[I[iBase + j] + 1]++;
            for (int r = 0; r < n; r++) start[r + 1] += start[r];
            Array.Copy(start, fill, n + 1);
            for (int j = 0; j < m; j++) order[fill[I[iBase + j]]++] = j;
            pool.Return(fill);
            ParallelFor.Run(n, Math.Max(1, IndexGrain / Math.Max(inner * Math.Max(m / Math.Max(n, 1), 1), 1)), (r0, r1) =>
            {
                for (int r = r0; r < r1; r++)
                    for (int k = start[r]; k < start[r + 1]; k++)
                        AddRow(sBase + r * inner, xBase + order[k] * inner, 0, inner);
            });
            pool.Return(order);
            pool.Return(start);
        }
        else if (outer >= ParallelFor.Threads || inner < 64)
        {
            ParallelFor.Run(outer, Math.Max(1, IndexGrain / Math.Max(m * inner, 1)), (o0, o1) =>
            {
                for (int o = o0; o < o1; o++)
                    for (int j = 0; j < m; j++)
                        AddRow(sBase + (o * n + (int)I[iBase + j]) * inner, xBase + (o * m + j) * inner, 0, inner);
            });
        }
        else
        {
            ParallelFor.Run(inner, 64, (c0, c1) =>
            {
                for (int o = 0; o < outer; o++)
                    for (int j = 0; j < m; j++)
                        AddRow(sBase + (o * n + (int)I[iBase + j]) * inner, xBase + (o * m + j) * inner, c0, c1 - c0);
            });
        }
    }
}
