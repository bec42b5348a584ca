// CPU sum-of-rows, max/min (values and indices), amax/amin and log-sum-exp kernels. The input is viewed as
// (outer, len, inner) with the reduced dims in the middle; outputs are split deterministically by ParallelFor.
// Long rows (a full reduction is one row) are cut into blocks of a fixed length that does not depend on the thread
// count; blocks are reduced in parallel and their partial results combined in a fixed order (a pairwise tree for
// sums), so 1 and N threads give bitwise-equal results.
using System.Numerics;
using System.Numerics.Tensors;

namespace PluginMoE.Tensors.Backends;

public sealed partial class CpuBackend
{
    /// <summary>Columns handled together when reducing over a non-innermost dim.</summary>
    private const int ReduceColumnBlock = 256;

    /// <summary>
    /// A contiguous source viewed as (outer, len, inner), len the product of the reduced dims, plus the output sizes.
    /// Reduced dims that are not adjacent are permuted last (one copy).
    /// </summary>
    private Tensor ReductionLayout(Tensor x, int[] dims, bool keepdim, out int outer, out int len, out int inner, out int[] outSizes)
    {
        int rank = x.Sizes.Length;
        if (dims.Length == 0) dims = Enumerable.Range(0, rank).ToArray();
        var reduce = new bool[rank];
        foreach (var d in dims) reduce[d] = true;
        var outs = new List<int>();
        for (int i = 0; i < rank; i++)
            if (!reduce[i]) outs.Add(x.Sizes[i]);
            else if (keepdim) outs.Add(1);
        outSizes = [.. outs];
        int first = Array.IndexOf(reduce, true), last = Array.LastIndexOf(reduce, true);
        outer = 1; len = 1; inner = 1;
        if (first < 0)
        {
            outer = x.NumelCached;
            return x.is_contiguous() ? x : Contiguous(x);
        }
        bool block = Enumerable.Range(first, last - first + 1).All(i => reduce[i]);
        if (block)
        {
            for (int i = 0; i < first; i++) outer *= x.Sizes[i];
            for (int i = first; i <= last; i++) len *= x.Sizes[i];
            for (int i = last + 1; i < rank; i++) inner *= x.Sizes[i];
            return x.is_contiguous() ? x : Contiguous(x);
        }
        var perm = Enumerable.Range(0, rank).Where(i => !reduce[i]).Concat(Enumerable.Range(0, rank).Where(i => reduce[i])).Select(i => (long)i).ToArray();
        for (int i = 0; i < rank; i++)
            if (reduce[i]) len *= x.Sizes[i];
            else outer *= x.Sizes[i];
        return Contiguous(x.detach().permute(perm));
    }

    /// <summary>Elements per block when one row is reduced by several threads (fixed: results never depend on the thread count).</summary>
    internal const int ReduceBlock = 1 << 14;

    /// <summary>
    /// R[o] = sum of S[so + o * len ..][..len] for every row o. Rows up to <see cref="ReduceBlock"/> are summed whole
    /// (vectorised); longer rows are summed per block in parallel and the block sums added pairwise in a fixed tree.
    /// </summary>
    private static void RowSums<T>(T[] S, int so, int outer, int len, T[] R) where T : unmanaged, INumber<T>
    {
        if (len <= ReduceBlock)
        {
            ParallelFor.Run(outer, Math.Max(1, ElementwiseGrain / Math.Max(len, 1)), (o0, o1) =>
            {
                for (int o = o0; o < o1; o++) R[o] = TensorPrimitives.Sum<T>(S.AsSpan(so + o * len, len));
            });
            return;
        }
        int nb = (len + ReduceBlock - 1) / ReduceBlock;
        var partial = new T[outer * nb];
        ParallelFor.Run(outer * nb, Math.Max(1, ElementwiseGrain / ReduceBlock), (i0, i1) =>
        {
            for (int i = i0; i < i1; i++)
            {
                int o = i / nb, b = i % nb;
                int start = b * ReduceBlock, count = Math.Min(ReduceBlock, len - start);
                partial[i] = TensorPrimitives.Sum<T>(S.AsSpan(so + o * len + start, count));
            }
        });
        for (int o = 0; o < outer; o++) R[o] = PairwiseSum<T>(partial.AsSpan(o * nb, nb));
    }

    /// <summary>Sum of <paramref name="x"/> by recursive halving (error grows with log n, not n).</summary>
    internal static T PairwiseSum<T>(ReadOnlySpan<T> x) where T : unmanaged, INumber<T>
    {
        if (x.Length <= 4)
        {
            T s = T.Zero;
            foreach (var v in x) s += v;
            return s;
        }
        int half = x.Length / 2;
        return PairwiseSum(x[..half]) + PairwiseSum(x[half..]);
    }

    /// <summary>
    /// Max/min (and its first index) of one long row, reduced per block in parallel and combined in block order with
    /// the rules of TensorPrimitives' IndexOfMax/IndexOfMin (first NaN wins; +0 above -0; first occurrence on ties).
    /// </summary>
    private static (T value, int index) BlockedExtreme<T>(T[] S, int offset, int len, bool max, bool wantIndex) where T : unmanaged, INumber<T>
    {
        int nb = (len + ReduceBlock - 1) / ReduceBlock;
        var values = new T[nb];
        var indices = new int[nb];
        ParallelFor.Run(nb, Math.Max(1, ElementwiseGrain / ReduceBlock), (b0, b1) =>
        {
            for (int b = b0; b < b1; b++)
            {
                int start = b * ReduceBlock;
                var row = new ReadOnlySpan<T>(S, offset + start, Math.Min(ReduceBlock, len - start));
                if (wantIndex)
                {
                    int at = max ? TensorPrimitives.IndexOfMax(row) : TensorPrimitives.IndexOfMin(row);
                    values[b] = row[at];
                    indices[b] = start + at;
                }
                else values[b] = max ? TensorPrimitives.Max(row) : TensorPrimitives.Min(row);
            }
        });
        T best = values[0];
        int bestAt = indices[0];
        for (int b = 1; b < nb && !T.IsNaN(best); b++)
        {
            T v = values[b];
            bool better = T.IsNaN(v) || (max ? v > best : v < best)
                || (v == best && T.IsZero(v) && (max ? T.IsNegative(best) && !T.IsNegative(v) : !T.IsNegative(best) && T.IsNegative(v)));
            if (better)
            {
                best = v;
                bestAt = indices[b];
            }
        }
        return (best, bestAt);
    }

    /// <inheritdoc/>
    public (Tensor values, Tensor indices) MaxMinDim(Tensor x, int dim, bool keepdim, bool max)
    {
        var src = ReductionLayout(x, [dim], keepdim, out int outer, out int len, out int inner, out var outSizes);
        var values = Tensor.Empty(x.dtype, outSizes);
        var indices = Tensor.Empty(ScalarType.Int64, outSizes);
        Extreme(src, outer, len, inner, max, values, indices, max ? "max" : "min");
        return (values, indices);
    }

    /// <inheritdoc/>
    public Tensor AMaxMin(Tensor x, int[] dims, bool keepdim, bool max)
    {
        var src = ReductionLayout(x, dims, keepdim, out int outer, out int len, out int inner, out var outSizes);
        var values = Tensor.Empty(x.dtype, outSizes);
        Extreme(src, outer, len, inner, max, values, null, max ? "amax" : "amin");
        return values;
    }

    private static void Extreme(Tensor src, int outer, int len, int inner, bool max, Tensor values, Tensor? indices, string op)
    {
        if (len == 0 && outer * inner > 0)
            throw new ArgumentException($"{op}: cannot reduce over an empty dimension (input shape {Shape.Format(src.Sizes)}); the result would have no value");
        switch (src.dtype)
        {
            case ScalarType.Float32: ExtremeKernel<float>(src, outer, len, inner, max, values, indices); break;
            case ScalarType.Float64: ExtremeKernel<double>(src, outer, len, inner, max, values, indices); break;
            case ScalarType.Int64: ExtremeKernel<long>(src, outer, len, inner, max, values, indices); break;
            case ScalarType.Int32: ExtremeKernel<int>(src, outer, len, inner, max, values, indices); break;
            default: throw new NotSupportedException($"{op}: not supported for {src.dtype.TorchName()} tensors");
        }
    }

    private static void ExtremeKernel<T>(Tensor src, int outer, int len, int inner, bool max, Tensor values, Tensor? indices)
        where T : unmanaged, INumber<T>
    {
        var S = src.StorageAs<T>();
        int so = src.Offset;
        var V = values.StorageAs<T>();
        var I = indices?.StorageAs<long>();
        if (inner == 1 && len > ReduceBlock)
        {
            // Long rows (a full reduction): blocks of each row in parallel, rows one after another.
            for (int o = 0; o < outer; o++)
            {
                var (v, at) = BlockedExtreme(S, so + o * len, len, max, I is not null);
                V[o] = v;
                if (I is not null) I[o] = at;
            }
            return;
        }
        int block = Math.Min(inner, ReduceColumnBlock);
        int nb = (inner + block - 1) / block;
        ParallelFor.Run(outer * nb, Math.Max(1, ElementwiseGrain / Math.Max(1, len * block)), (s, e) =>
        {
            for (int item = s; item < e; item++)
            {
                int o = item / nb, c0 = item % nb * block, c1 = Math.Min(inner, c0 + block);
                int baseOff = so + o * len * inner;
                if (inner == 1)
                {
                    var row = new ReadOnlySpan<T>(S, baseOff, len);
                    if (I is null) V[o] = max ? TensorPrimitives.Max(row) : TensorPrimitives.Min(row);
                    else
                    {
                        int at = max ? TensorPrimitives.IndexOfMax(row) : TensorPrimitives.IndexOfMin(row);
                        V[o] = row[at];
                        I[o] = at;
                    }
                    continue;
                }
                int outOff = o * inner;
                if (I is null)
                {
                    // Values only: SIMD max/min across rows (IEEE maximum/minimum, so NaN propagates).
                    var acc = V.AsSpan(outOff + c0, c1 - c0);
                    new ReadOnlySpan<T>(S, baseOff + c0, c1 - c0).CopyTo(acc);
                    for (int j = 1; j < len; j++)
                    {
                        var row = new ReadOnlySpan<T>(S, baseOff + j * inner + c0, c1 - c0);
                        if (max) TensorPrimitives.Max(acc, row, acc);
                        else TensorPrimitives.Min(acc, row, acc);
                    }
                    continue;
                }
                for (int c = c0; c < c1; c++)
                {
                    V[outOff + c] = S[baseOff + c];
                    I[outOff + c] = 0;
                }
                for (int j = 1; j < len; j++)
                {
                    int rowOff = baseOff + j * inner;
                    for (int c = c0; c < c1; c++)
                    {
                        T v = S[rowOff + c], best = V[outOff + c];
                        // Replace when strictly better or when v is the first NaN (NaN wins and stays).
                        bool better = max ? !(v <= best) : !(v >= best);
                        if (better && !T.IsNaN(best))
                        {
                            V[outOff + c] = v;
                            I[outOff + c] = j;
                        }
                    }
                }
            }
        });
    }

    /// <inheritdoc/>
    public Tensor MaxMinDimBackward(Tensor grad, Tensor indices, int[] inputSizes, int dim, bool keepdim)
    {
        RequireFloat(grad, "max/min backward");
        grad = UnaryContig(grad);
        indices = UnaryContig(indices);
        var r = Tensor.Zeros(grad.dtype, (int[])inputSizes.Clone());
        int outer = 1, len = inputSizes[dim], inner = 1;
        for (int i = 0; i < dim; i++) outer *= inputSizes[i];
        for (int i = dim + 1; i < inputSizes.Length; i++) inner *= inputSizes[i];
        if (grad.dtype == ScalarType.Float32) ScatterAlongDim<float>(grad, indices, r, len, inner);
        else ScatterAlongDim<double>(grad, indices, r, len, inner);
        return r;
    }

    private static void ScatterAlongDim<T>(Tensor grad, Tensor indices, Tensor r, int len, int inner) where T : unmanaged
    {
        var G = grad.AsSpan<T>();
        var I = indices.AsSpan<long>();
        var R = r.AsSpan<T>();
        for (int k = 0; k < G.Length; k++)
        {
            int o = k / inner, c = k % inner;
            R[(o * len + (int)I[k]) * inner + c] = G[k];
        }
    }

    /// <inheritdoc/>
    public Tensor LogSumExp(Tensor x, int[] dims, bool keepdim)
    {
        RequireFloat(x, "logsumexp");
        var src = ReductionLayout(x, dims, keepdim, out int outer, out int len, out int inner, out var outSizes);
        var r = Tensor.Empty(x.dtype, outSizes);
        if (x.dtype == ScalarType.Float32) LogSumExpKernel<float>(src, outer, len, inner, r);
        else LogSumExpKernel<double>(src, outer, len, inner, r);
        return r;
    }

    private static void LogSumExpKernel<T>(Tensor src, int outer, int len, int inner, Tensor r) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var S = src.StorageAs<T>();
        int so = src.Offset;
        var R = r.StorageAs<T>();
        if (len == 0)
        {
            R.AsSpan().Fill(T.NegativeInfinity);
            return;
        }
        int block = Math.Min(inner, ReduceColumnBlock);
        int nb = (inner + block - 1) / block;
        ParallelFor.Run(outer * nb, Math.Max(1, ElementwiseGrain / Math.Max(1, len * block)), (s, e) =>
        {
            var tmp = new T[inner == 1 ? len : block];
            var shift = new T[block];
            var sum = new T[block];
            for (int item = s; item < e; item++)
            {
                int o = item / nb, c0 = item % nb * block, cw = Math.Min(inner, c0 + block) - c0;
                int baseOff = so + o * len * inner;
                if (inner == 1)
                {
                    var row = new ReadOnlySpan<T>(S, baseOff, len);
                    T m = TensorPrimitives.Max(row);
                    if (T.IsInfinity(m)) m = T.Zero; // all -inf gives log(0) = -inf; any +inf gives +inf
                    TensorPrimitives.Subtract(row, m, tmp);
                    VectorMath.Exp<T>(tmp, tmp);
                    R[o] = T.Log(TensorPrimitives.Sum<T>(tmp)) + m;
                    continue;
                }
                var sh = shift.AsSpan(0, cw);
                var sm = sum.AsSpan(0, cw);
                var t = tmp.AsSpan(0, cw);
                new ReadOnlySpan<T>(S, baseOff + c0, cw).CopyTo(sh);
                for (int j = 1; j < len; j++) TensorPrimitives.Max(sh, new ReadOnlySpan<T>(S, baseOff + j * inner + c0, cw), sh);
                for (int c = 0; c < cw; c++)
                    if (T.IsInfinity(sh[c])) sh[c] = T.Zero;
                sm.Clear();
                for (int j = 0; j < len; j++)
                {
                    TensorPrimitives.Subtract(new ReadOnlySpan<T>(S, baseOff + j * inner + c0, cw), sh, t);
                    VectorMath.Exp<T>(t, t);
                    TensorPrimitives.Add(sm, t, sm);
                }
                TensorPrimitives.Log(sm, sm);
                TensorPrimitives.Add(sm, sh, R.AsSpan(o * inner + c0, cw));
            }
        });
    }
}
