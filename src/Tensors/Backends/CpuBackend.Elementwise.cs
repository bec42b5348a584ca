// CPU broadcasting element-wise kernels (TensorPrimitives on contiguous rows) and sum reductions.
using System.Numerics;
using System.Numerics.Tensors;

namespace PluginMoE.Tensors.Backends;

public sealed partial class CpuBackend
{
    private const int ElementwiseGrain = 1 << 15;

    /// <inheritdoc/>
    public Tensor Binary(BinaryOp op, Tensor a, Tensor b)
    {
        if (a.dtype != b.dtype) throw new ArgumentException($"Binary {op}: dtypes differ ({a.dtype.TorchName()} vs {b.dtype.TorchName()})");
        var sizes = Shape.Broadcast(a.Sizes, b.Sizes, op.ToString().ToLowerInvariant());
        var r = Tensor.Empty(a.dtype, sizes);
        switch (a.dtype)
        {
            case ScalarType.Float32: BinaryKernel<float>(op, a, b, r); break;
            case ScalarType.Float64: BinaryKernel<double>(op, a, b, r); break;
            case ScalarType.Int64:
                if (op == BinaryOp.Pow) throw new NotSupportedException("pow on int64 tensors is not supported; convert to float first");
                BinaryKernel<long>(op, a, b, r);
                break;
            case ScalarType.Int32:
                if (op == BinaryOp.Pow) throw new NotSupportedException("pow on int32 tensors is not supported; convert to float first");
                BinaryKernel<int>(op, a, b, r);
                break;
            default: throw new NotSupportedException($"{op} is not supported for {a.dtype.TorchName()} tensors");
        }
        return r;
    }

    private static void BinaryKernel<T>(BinaryOp op, Tensor a, Tensor b, Tensor r) where T : unmanaged, INumber<T>
    {
        var A = a.StorageAs<T>();
        var B = b.StorageAs<T>();
        var R = r.StorageAs<T>();
        int n = r.NumelCached;
        if (n == 0) return;

        // Fast path: same shape, both contiguous.
        if (a.is_contiguous() && b.is_contiguous() && a.NumelCached == n && b.NumelCached == n)
        {
            int ao = a.Offset, bo = b.Offset;
            ParallelFor.Run(n, ElementwiseGrain, (s, e) =>
                Row(op, A.AsSpan(ao + s, e - s), 1, B.AsSpan(bo + s, e - s), 1, R.AsSpan(s, e - s)));
            return;
        }

        // One operand a single element (a scalar form such as x.mul(2), or a 0-d tensor) and the other contiguous with
        // the output's elements: one vectorised pass over all elements, threaded (the row walk below would see one row).
        if (b.NumelCached == 1 && a.is_contiguous() && a.NumelCached == n)
        {
            int ao = a.Offset, bo = b.Offset;
            ParallelFor.Run(n, ElementwiseGrain, (s, e) =>
                Row(op, A.AsSpan(ao + s, e - s), 1, B.AsSpan(bo, 1), 0, R.AsSpan(s, e - s)));
            return;
        }
        if (a.NumelCached == 1 && b.is_contiguous() && b.NumelCached == n)
        {
            int ao = a.Offset, bo = b.Offset;
            ParallelFor.Run(n, ElementwiseGrain, (s, e) =>
                Row(op, A.AsSpan(ao, 1), 0, B.AsSpan(bo + s, e - s), 1, R.AsSpan(s, e - s)));
            return;
        }

        // A contiguous row (e.g. a bias of shape (C) or (1, C)) against a contiguous operand of the output's shape:
        // rows of the output in order, no per-row index arithmetic.
        if (BroadcastRowLength(b, a, r) is int mb and >= MinBroadcastRow)
        {
            int ao = a.Offset, bo = b.Offset;
            ParallelFor.Run(n / mb, Math.Max(1, ElementwiseGrain / mb), (r0, r1) =>
            {
                for (int row = r0; row < r1; row++)
                    Row(op, A.AsSpan(ao + row * mb, mb), 1, B.AsSpan(bo, mb), 1, R.AsSpan(row * mb, mb));
            });
            return;
        }
        if (BroadcastRowLength(a, b, r) is int ma and >= MinBroadcastRow)
        {
            int ao = a.Offset, bo = b.Offset;
            ParallelFor.Run(n / ma, Math.Max(1, ElementwiseGrain / ma), (r0, r1) =>
            {
                for (int row = r0; row < r1; row++)
                    Row(op, A.AsSpan(ao, ma), 1, B.AsSpan(bo + row * ma, ma), 1, R.AsSpan(row * ma, ma));
            });
            return;
        }

        // General path: merged dims, then TensorPrimitives per row of the innermost dim.
        var p = new BroadcastRows(ElementwiseGrain, r.Sizes, a, b);
        int inner = p.Inner, ias = p.InnerStride(0), ibs = p.InnerStride(1);
        p.Run((r0, r1) =>
        {
            for (int row = r0; row < r1; row++)
            {
                int oa = p.RowOffset(0, row), ob = p.RowOffset(1, row);
                var xa = ias == 0 ? A.AsSpan(oa, 1) : A.AsSpan(oa, (inner - 1) * ias + 1);
                var xb = ibs == 0 ? B.AsSpan(ob, 1) : B.AsSpan(ob, (inner - 1) * ibs + 1);
                Row(op, xa, ias, xb, ibs, R.AsSpan(row * inner, inner));
            }
        });
    }

    /// <summary>Shortest row for the broadcast-row fast path (shorter rows go through the general walk, which merges dims).</summary>
    private const int MinBroadcastRow = 16;

    /// <summary>
    /// The length of <paramref name="row"/> when it is a contiguous operand whose sizes, leading ones dropped, equal the
    /// trailing sizes of the output <paramref name="r"/>, and <paramref name="full"/> is contiguous with all of the
    /// output's elements; otherwise null.
    /// </summary>
    private static int? BroadcastRowLength(Tensor row, Tensor full, Tensor r)
    {
        if (!row.is_contiguous() || !full.is_contiguous() || full.NumelCached != r.NumelCached) return null;
        int lead = 0;
        while (lead < row.Sizes.Length && row.Sizes[lead] == 1) lead++;
        int len = row.Sizes.Length - lead;
        if (len == 0 || len > r.Sizes.Length) return null;
        for (int i = 0; i < len; i++)
            if (row.Sizes[lead + i] != r.Sizes[r.Sizes.Length - len + i]) return null;
        return row.NumelCached;
    }

    private static void Row<T>(BinaryOp op, ReadOnlySpan<T> x, int xs, ReadOnlySpan<T> y, int ys, Span<T> d) where T : unmanaged, INumber<T>
    {
        if (xs == 1 && ys == 1)
        {
            switch (op)
            {
                case BinaryOp.Add: TensorPrimitives.Add(x, y, d); return;
                case BinaryOp.Sub: TensorPrimitives.Subtract(x, y, d); return;
                case BinaryOp.Mul: TensorPrimitives.Multiply(x, y, d); return;
                case BinaryOp.Div: TensorPrimitives.Divide(x, y, d); return;
                case BinaryOp.Maximum: TensorPrimitives.Max(x, y, d); return;
                case BinaryOp.Minimum: TensorPrimitives.Min(x, y, d); return;
            }
        }
        else if (xs == 1 && ys == 0)
        {
            T s = y[0];
            switch (op)
            {
                case BinaryOp.Add: TensorPrimitives.Add(x, s, d); return;
                case BinaryOp.Sub: TensorPrimitives.Subtract(x, s, d); return;
                case BinaryOp.Mul: TensorPrimitives.Multiply(x, s, d); return;
                case BinaryOp.Div: TensorPrimitives.Divide(x, s, d); return;
                case BinaryOp.Maximum: TensorPrimitives.Max(x, s, d); return;
                case BinaryOp.Minimum: TensorPrimitives.Min(x, s, d); return;
            }
        }
        else if (xs == 0 && ys == 1)
        {
            T s = x[0];
            switch (op)
            {
                case BinaryOp.Add: TensorPrimitives.Add(y, s, d); return;
                case BinaryOp.Sub: TensorPrimitives.Subtract(s, y, d); return;
                case BinaryOp.Mul: TensorPrimitives.Multiply(y, s, d); return;
                case BinaryOp.Div: TensorPrimitives.Divide(s, y, d); return;
                case BinaryOp.Maximum: TensorPrimitives.Max(y, s, d); return;
                case BinaryOp.Minimum: TensorPrimitives.Min(y, s, d); return;
            }
        }
        for (int i = 0; i < d.Length; i++) d[i] = Scalar(op, x[i * xs], y[i * ys]);
    }

    private static T Scalar<T>(BinaryOp op, T a, T b) where T : unmanaged, INumber<T> => op switch
    {
        BinaryOp.Add => a + b,
        BinaryOp.Sub => a - b,
        BinaryOp.Mul => a * b,
        BinaryOp.Div => a / b,
        BinaryOp.Maximum => T.IsNaN(a) || T.IsNaN(b) ? a + b : T.Max(a, b),
        BinaryOp.Minimum => T.IsNaN(a) || T.IsNaN(b) ? a + b : T.Min(a, b),
        BinaryOp.Pow => PowScalar(a, b),
        _ => throw new NotSupportedException(op.ToString()),
    };

    private static T PowScalar<T>(T a, T b) where T : unmanaged, INumber<T>
    {
        if (typeof(T) == typeof(float)) return (T)(object)MathF.Pow((float)(object)a, (float)(object)b);
        if (typeof(T) == typeof(double)) return (T)(object)Math.Pow((double)(object)a, (double)(object)b);
        throw new NotSupportedException("pow on integer tensors");
    }

    /// <inheritdoc/>
    public Tensor Sum(Tensor x, int[] dims, bool keepdim)
    {
        return x.dtype switch
        {
            ScalarType.Float32 => SumKernel<float>(x, dims, keepdim),
            ScalarType.Float64 => SumKernel<double>(x, dims, keepdim),
            ScalarType.Int64 => SumKernel<long>(x, dims, keepdim),
            ScalarType.Int32 => SumKernel<long>(Convert(x, ScalarType.Int64), dims, keepdim),
            ScalarType.Bool => SumKernel<long>(Convert(x, ScalarType.Int64), dims, keepdim),
            _ => throw new NotSupportedException($"sum is not supported for {x.dtype.TorchName()} tensors"),
        };
    }

    private Tensor SumKernel<T>(Tensor x, int[] dims, bool keepdim) where T : unmanaged, INumber<T>
    {
        int rank = x.Sizes.Length;
        if (dims.Length == 0) dims = Enumerable.Range(0, rank).ToArray();
        var reduce = new bool[rank];
        foreach (var d in dims) reduce[d] = true;
        var outSizes = new List<int>();
        var keptSizes = new int[rank];
        for (int i = 0; i < rank; i++)
        {
            keptSizes[i] = reduce[i] ? 1 : x.Sizes[i];
            if (!reduce[i] || keepdim) outSizes.Add(keptSizes[i]);
        }

        // Bring the reduced dims into one contiguous block (permute them last when they are not).
        int first = Array.IndexOf(reduce, true), last = Array.LastIndexOf(reduce, true);
        bool block = first < 0 || Enumerable.Range(first, last - first + 1).All(i => reduce[i]);
        Tensor src = x;
        int outer, len, inner;
        if (block && first >= 0)
        {
            outer = 1; len = 1; inner = 1;
            for (int i = 0; i < first; i++) outer *= x.Sizes[i];
            for (int i = first; i <= last; i++) len *= x.Sizes[i];
            for (int i = last + 1; i < rank; i++) inner *= x.Sizes[i];
        }
        else if (first < 0)
        {
            outer = x.NumelCached; len = 1; inner = 1;
        }
        else
        {
            var perm = Enumerable.Range(0, rank).Where(i => !reduce[i]).Concat(Enumerable.Range(0, rank).Where(i => reduce[i])).Select(i => (long)i).ToArray();
            src = x.detach().permute(perm);
            outer = 1; len = 1; inner = 1;
            for (int i = 0; i < rank; i++)
                if (reduce[i]) len *= x.Sizes[i];
                else outer *= x.Sizes[i];
        }
        if (!src.is_contiguous()) src = Contiguous(src);
        var S = src.StorageAs<T>();
        int so = src.Offset;
        var r = Tensor.Zeros(ScalarTypeExtensions.Of<T>(), [.. outSizes]);
        var R = r.StorageAs<T>();
        if (inner == 1)
        {
            RowSums(S, so, outer, len, R);
        }
        else
        {
            // Each column block is summed in a fixed order over (outer, len): deterministic for any thread count.
            ParallelFor.Run(inner, 1024, (c0, c1) =>
            {
                for (int o = 0; o < outer; o++)
                {
                    var dst = R.AsSpan(o * inner + c0, c1 - c0);
                    for (int j = 0; j < len; j++) TensorPrimitives.Add(dst, S.AsSpan(so + (o * len + j) * inner + c0, c1 - c0), dst);
                }
            });
        }
        return r;
    }
}
