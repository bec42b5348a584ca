// GEMM without packing, for tiny and skinny products (matrix-vector, a handful of rows or columns) where
// packing would cost as much as the product: row AXPYs over contiguous B rows, or dot products.
using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace PluginMoE.Tensors.Backends;

public sealed partial class CpuBackend
{
    /// <summary>Width of the column chunks when a one-row product is split over threads.</summary>
    private const int DirectColumnChunk = 64;

    private static void GemmDirect<T>(GemmArgs<T> g, bool parallel) where T : unmanaged, IFloatingPointIeee754<T>
    {
        long rowFlops = (long)g.N * g.K;
        if (!parallel || g.M >= ParallelFor.Threads)
        {
            int minRows = parallel ? (int)Math.Clamp(MinFlopsPerThread / Math.Max(rowFlops, 1), 1, g.M) : g.M;
            ParallelFor.Run(g.M, minRows, (i0, i1) => DirectBlock(g, i0, i1, 0, g.N));
        }
        else
        {
            int chunks = (g.N + DirectColumnChunk - 1) / DirectColumnChunk;
            long chunkFlops = (long)g.M * g.K * DirectColumnChunk;
            int minChunks = (int)Math.Clamp(MinFlopsPerThread / chunkFlops, 1, chunks);
            ParallelFor.Run(chunks, minChunks, (c0, c1) =>
                DirectBlock(g, 0, g.M, c0 * DirectColumnChunk, Math.Min(c1 * DirectColumnChunk, g.N)));
        }
    }

    /// <summary>Rows [i0, i1) x columns [j0, j1) of C; each element's arithmetic is independent of the block bounds.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // optimised from the first call: no tier-0 or OSR phase
    private static unsafe void DirectBlock<T>(in GemmArgs<T> g, int i0, int i1, int j0, int j1) where T : unmanaged, IFloatingPointIeee754<T>
    {
        T* A = (T*)g.A, B = (T*)g.B, C = (T*)g.C;
        var mode = MergeMode(g.Alpha, g.Beta);
        int k = g.K;
        bool dot = g.Csa == 1 && g.Rsb == 1 && (g.Csb != 1 || g.N < 8);
        if (!dot && g.Csb == 1)
        {
            // acc[j] = sum_p A[i, p] * B[p, j], one contiguous B row at a time.
            int len = j1 - j0;
            var acc = new Span<T>((void*)GemmBuffers.ForThisThread.Row(len * sizeof(T)), len);
            for (int i = i0; i < i1; i++)
            {
                acc.Clear();
                T* arow = A + i * g.Rsa;
                for (int p = 0; p < k; p++)
                    TensorPrimitives.FusedMultiplyAdd(new ReadOnlySpan<T>(B + p * g.Rsb + j0, len), arow[p * g.Csa], acc, acc);
                T* crow = C + i * g.Rsc;
                for (int j = 0; j < len; j++)
                {
                    T* e = crow + (j0 + j) * g.Csc;
                    *e = MergeScalar(acc[j], *e, g.Alpha, g.Beta, mode);
                }
            }
            return;
        }
        for (int i = i0; i < i1; i++)
        {
            T* arow = A + i * g.Rsa;
            int j = j0;
            if (dot)
                for (; j + 4 <= j1; j += 4) // four columns per pass over the A row: its loads are shared, more FMAs in flight
                {
                    Dot4(arow, B + j * g.Csb, g.Csb, k, out T d0, out T d1, out T d2, out T d3);
                    T* e = C + i * g.Rsc + j * g.Csc;
                    e[0] = MergeScalar(d0, e[0], g.Alpha, g.Beta, mode);
                    e[g.Csc] = MergeScalar(d1, e[g.Csc], g.Alpha, g.Beta, mode);
                    e[2 * g.Csc] = MergeScalar(d2, e[2 * g.Csc], g.Alpha, g.Beta, mode);
                    e[3 * g.Csc] = MergeScalar(d3, e[3 * g.Csc], g.Alpha, g.Beta, mode);
                }
            for (; j < j1; j++)
            {
                T* bcol = B + j * g.Csb;
                T acc = dot ? Dot(arow, bcol, k) : T.Zero;
                if (!dot)
                    for (int p = 0; p < k; p++) acc = T.FusedMultiplyAdd(arow[p * g.Csa], bcol[p * g.Rsb], acc);
                T* e = C + i * g.Rsc + j * g.Csc;
                *e = MergeScalar(acc, *e, g.Alpha, g.Beta, mode);
            }
        }
    }

    /// <summary>
    /// Four dot products of x with the contiguous runs y, y + ys, y + 2 ys, y + 3 ys, each summed exactly as
    /// <see cref="Dot"/> sums it (same accumulators, same order), so the result does not depend on the grouping.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void Dot4<T>(T* x, T* y, nint ys, int k, out T d0, out T d1, out T d2, out T d3) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int p = 0;
        T* y0 = y, y1 = y + ys, y2 = y + 2 * ys, y3 = y + 3 * ys;
        d0 = d1 = d2 = d3 = T.Zero;
        if (Vector256.IsHardwareAccelerated)
        {
            int w = Vector256<T>.Count;
            Vector256<T> a0 = default, a1 = default, b0 = default, b1 = default, c0 = default, c1 = default, e0 = default, e1 = default;
            for (; p + 2 * w <= k; p += 2 * w)
            {
                var xl = Vector256.Load(x + p);
                var xh = Vector256.Load(x + p + w);
                a0 = FmaV(xl, Vector256.Load(y0 + p), a0);
                a1 = FmaV(xh, Vector256.Load(y0 + p + w), a1);
                b0 = FmaV(xl, Vector256.Load(y1 + p), b0);
                b1 = FmaV(xh, Vector256.Load(y1 + p + w), b1);
                c0 = FmaV(xl, Vector256.Load(y2 + p), c0);
                c1 = FmaV(xh, Vector256.Load(y2 + p + w), c1);
                e0 = FmaV(xl, Vector256.Load(y3 + p), e0);
                e1 = FmaV(xh, Vector256.Load(y3 + p + w), e1);
            }
            d0 = Vector256.Sum(a0 + a1);
            d1 = Vector256.Sum(b0 + b1);
            d2 = Vector256.Sum(c0 + c1);
            d3 = Vector256.Sum(e0 + e1);
        }
        for (; p < k; p++)
        {
            d0 = T.FusedMultiplyAdd(x[p], y0[p], d0);
            d1 = T.FusedMultiplyAdd(x[p], y1[p], d1);
            d2 = T.FusedMultiplyAdd(x[p], y2[p], d2);
            d3 = T.FusedMultiplyAdd(x[p], y3[p], d3);
        }
    }

    /// <summary>Dot product of two contiguous runs with a fixed summation order (independent of alignment).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe T Dot<T>(T* x, T* y, int k) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int p = 0;
        T sum = T.Zero;
        if (Vector256.IsHardwareAccelerated)
        {
            int w = Vector256<T>.Count;
            Vector256<T> s0 = default, s1 = default;
            for (; p + 2 * w <= k; p += 2 * w)
            {
                s0 = FmaV(Vector256.Load(x + p), Vector256.Load(y + p), s0);
                s1 = FmaV(Vector256.Load(x + p + w), Vector256.Load(y + p + w), s1);
            }
            sum = Vector256.Sum(s0 + s1);
        }
        for (; p < k; p++) sum = T.FusedMultiplyAdd(x[p], y[p], sum);
        return sum;
    }
}
