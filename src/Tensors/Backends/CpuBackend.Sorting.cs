// CPU stable sort and top-k. Each value maps to an unsigned key whose integer order is the value
// order (NaN largest, -0 == +0); the key and the position form one integer, so a plain sort is stable.
// Keys of small range (expert ids) take a stable counting sort instead.
namespace PluginMoE.Tensors.Backends;

public sealed partial class CpuBackend
{
    /// <summary>Above this k, top-k sorts the whole row instead of keeping a small insertion buffer.</summary>
    private const int TopKInsertionLimit = 16;

    /// <summary>Rows whose keys span fewer values than this (and than max(n, 1024)) are counting-sorted.</summary>
    private const ulong CountingSortLimit = 1 << 16;

    /// <inheritdoc/>
    public (Tensor values, Tensor indices) Sort(Tensor x, int dim, bool descending) => SortOrTopK(x, -1, dim, descending);

    /// <inheritdoc/>
    public (Tensor values, Tensor indices) TopK(Tensor x, int k, int dim, bool largest) => SortOrTopK(x, k, dim, largest);

    /// <summary>Sorts (k &lt; 0) or selects k; <paramref name="best"/> = descending / largest.</summary>
    private (Tensor values, Tensor indices) SortOrTopK(Tensor x, int k, int dim, bool best)
    {
        int rank = x.Sizes.Length;
        if (rank == 0)
        {
            var v = Contiguous(x);
            var i = Tensor.Zeros(ScalarType.Int64, []);
            return k == 0 ? (Tensor.Empty(x.dtype, []), i) : (v, i);
        }
        // Work on rows: move dim last and make it dense.
        bool last = dim == rank - 1;
        var src = last ? x : x.detach().transpose(dim, rank - 1);
        if (!src.is_contiguous()) src = Contiguous(src);
        int n = src.Sizes[rank - 1];
        int outLen = k < 0 ? n : k;
        var outSizes = (int[])src.Sizes.Clone();
        outSizes[rank - 1] = outLen;
        var values = Tensor.Empty(x.dtype, outSizes);
        var indices = Tensor.Empty(ScalarType.Int64, outSizes);
        switch (x.dtype)
        {
            case ScalarType.Float32: RowsKernel<float>(src, n, outLen, k >= 0, best, values, indices); break;
            case ScalarType.Float64: RowsKernel<double>(src, n, outLen, k >= 0, best, values, indices); break;
            case ScalarType.Int64: RowsKernel<long>(src, n, outLen, k >= 0, best, values, indices); break;
            case ScalarType.Int32: RowsKernel<int>(src, n, outLen, k >= 0, best, values, indices); break;
            default: throw new NotSupportedException($"{(k < 0 ? "sort" : "topk")}: {x.dtype.TorchName()} is not supported");
        }
        if (last) return (values, indices);
        return (Contiguous(values.transpose(dim, rank - 1)), Contiguous(indices.transpose(dim, rank - 1)));
    }

    /// <summary>Order-preserving unsigned key: integer order equals value order, NaN above +inf, -0 equal to +0.</summary>
    private static ulong SortKey<T>(T v) where T : unmanaged
    {
        if (typeof(T) == typeof(float))
        {
            float f = (float)(object)v;
            uint b = float.IsNaN(f) ? 0x7FC00000u : f == 0 ? 0u : BitConverter.SingleToUInt32Bits(f);
            return (b & 0x80000000u) != 0 ? ~b : b | 0x80000000u;
        }
        if (typeof(T) == typeof(double))
        {
            double d = (double)(object)v;
            ulong b = double.IsNaN(d) ? 0x7FF8000000000000ul : d == 0 ? 0ul : BitConverter.DoubleToUInt64Bits(d);
            return (b & 0x8000000000000000ul) != 0 ? ~b : b | 0x8000000000000000ul;
        }
        if (typeof(T) == typeof(long)) return (ulong)(long)(object)v ^ 0x8000000000000000ul;
        if (typeof(T) == typeof(int)) return (uint)(int)(object)v ^ 0x80000000u;
        throw new NotSupportedException(typeof(T).Name);
    }

    private static bool IsWideKey<T>() => typeof(T) == typeof(double) || typeof(T) == typeof(long);

    private static void RowsKernel<T>(Tensor src, int n, int outLen, bool topk, bool best, Tensor values, Tensor indices) where T : unmanaged
    {
        int rows = n == 0 ? 0 : src.NumelCached / n;
        if (outLen == 0) return;
        var X = src.StorageAs<T>();
        var V = values.StorageAs<T>();
        var IX = indices.StorageAs<long>();
        int xb = src.Offset;
        // best-first ordering key: the smallest rank key is the best element.
        ulong flip = best ? (IsWideKey<T>() ? ulong.MaxValue : 0xFFFFFFFFul) : 0;
        bool insertion = topk && outLen <= TopKInsertionLimit;
        ParallelFor.Run(rows, Math.Max(1, 4096 / Math.Max(n, 1)), (r0, r1) =>
        {
            var keys = new ulong[insertion ? outLen : n];
            var pos = new int[insertion ? outLen : n];
            ulong[]? narrow = null;
            UInt128[]? wide = null;
            int[]? counts = null;
            for (int r = r0; r < r1; r++)
            {
                var row = X.AsSpan(xb + r * n, n);
                var vOut = V.AsSpan(r * outLen, outLen);
                var iOut = IX.AsSpan(r * outLen, outLen);
                if (insertion)
                {
                    int count = 0;
                    for (int i = 0; i < n; i++)
                    {
                        ulong key = SortKey(row[i]) ^ flip;
                        if (count == outLen && key >= keys[count - 1]) continue; // ties keep the earlier element
                        int p = count < outLen ? count++ : count - 1;
                        while (p > 0 && keys[p - 1] > key)
                        {
                            keys[p] = keys[p - 1];
                            pos[p] = pos[p - 1];
                            p--;
                        }
                        keys[p] = key;
                        pos[p] = i;
                    }
                }
                else
                {
                    ulong min = ulong.MaxValue, max = 0;
                    for (int i = 0; i < n; i++)
                    {
                        ulong key = SortKey(row[i]) ^ flip;
                        keys[i] = key;
                        if (key < min) min = key;
                        if (key > max) max = key;
                    }
                    ulong range = max - min;
                    if (range < (ulong)Math.Max(n, 1024) && range < CountingSortLimit)
                    {
                        // Few distinct keys (expert ids, token counts): a stable counting sort, O(n + range).
                        int bins = (int)range + 1;
                        if (counts is null || counts.Length < bins + 1) counts = new int[Math.Max(bins + 1, 1025)];
                        Array.Clear(counts, 0, bins + 1);
                        for (int i = 0; i < n; i++) counts[(int)(keys[i] - min) + 1]++;
                        for (int b = 0; b < bins; b++) counts[b + 1] += counts[b];
                        for (int i = 0; i < n; i++) pos[counts[(int)(keys[i] - min)]++] = i;
                    }
                    else if (range <= uint.MaxValue)
                    {
                        // Key offset in the high half, position in the low half: ties order by position.
                        narrow ??= new ulong[n];
                        for (int i = 0; i < n; i++) narrow[i] = ((keys[i] - min) << 32) | (uint)i;
                        narrow.AsSpan().Sort();
                        for (int t = 0; t < outLen; t++) pos[t] = (int)(uint)narrow[t];
                    }
                    else
                    {
                        wide ??= new UInt128[n];
                        for (int i = 0; i < n; i++) wide[i] = ((UInt128)keys[i] << 64) | (uint)i;
                        wide.AsSpan().Sort();
                        for (int t = 0; t < outLen; t++) pos[t] = (int)(ulong)wide[t];
                    }
                }
                for (int t = 0; t < outLen; t++)
                {
                    iOut[t] = pos[t];
                    vOut[t] = row[pos[t]];
                }
            }
        });
    }
}
