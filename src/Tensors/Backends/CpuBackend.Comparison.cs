// CPU comparison, logical, where and finiteness kernels over up to three broadcast operands, walked row by
// row (rows split deterministically by ParallelFor); contiguous same-shape operands form a single row.
using System.Numerics;

namespace PluginMoE.Tensors.Backends;

public sealed partial class CpuBackend
{
    /// <inheritdoc/>
    public Tensor Compare(CompareOp op, Tensor a, Tensor b)
    {
        if (a.dtype != b.dtype) throw new ArgumentException($"compare {op}: dtypes differ ({a.dtype.TorchName()} vs {b.dtype.TorchName()})");
        var sizes = Shape.Broadcast(a.Sizes, b.Sizes, op.ToString().ToLowerInvariant());
        var r = Tensor.Empty(ScalarType.Bool, sizes);
        switch (a.dtype)
        {
            case ScalarType.Float32: CompareKernel<float>(op, a, b, r); break;
            case ScalarType.Float64: CompareKernel<double>(op, a, b, r); break;
            case ScalarType.Int64: CompareKernel<long>(op, a, b, r); break;
            case ScalarType.Int32: CompareKernel<int>(op, a, b, r); break;
            case ScalarType.Bool: CompareKernel<int>(op, Convert(a, ScalarType.Int32), Convert(b, ScalarType.Int32), r); break;
            default: throw new NotSupportedException($"compare {op}: not supported for {a.dtype.TorchName()} tensors");
        }
        return r;
    }

    private static void CompareKernel<T>(CompareOp op, Tensor a, Tensor b, Tensor r) where T : unmanaged, INumber<T>
    {
        var A = a.StorageAs<T>();
        var B = b.StorageAs<T>();
        var R = r.StorageAs<bool>();
        var p = new BroadcastRows(ElementwiseGrain, r.Sizes, a, b);
        int inner = p.Inner, sa = p.InnerStride(0), sb = p.InnerStride(1);
        p.Run((r0, r1) =>
        {
            for (int row = r0; row < r1; row++)
            {
                int oa = p.RowOffset(0, row), ob = p.RowOffset(1, row), o = row * inner;
                switch (op)
                {
                    case CompareOp.Eq: for (int i = 0; i < inner; i++) R[o + i] = A[oa + i * sa] == B[ob + i * sb]; break;
                    case CompareOp.Ne: for (int i = 0; i < inner; i++) R[o + i] = A[oa + i * sa] != B[ob + i * sb]; break;
                    case CompareOp.Lt: for (int i = 0; i < inner; i++) R[o + i] = A[oa + i * sa] < B[ob + i * sb]; break;
                    case CompareOp.Le: for (int i = 0; i < inner; i++) R[o + i] = A[oa + i * sa] <= B[ob + i * sb]; break;
                    case CompareOp.Gt: for (int i = 0; i < inner; i++) R[o + i] = A[oa + i * sa] > B[ob + i * sb]; break;
                    default: for (int i = 0; i < inner; i++) R[o + i] = A[oa + i * sa] >= B[ob + i * sb]; break;
                }
            }
        });
    }

    /// <inheritdoc/>
    public Tensor Logical(LogicalOp op, Tensor a, Tensor b)
    {
        if (a.dtype != ScalarType.Bool || b.dtype != ScalarType.Bool)
            throw new ArgumentException($"logical {op}: expects bool tensors, got {a.dtype.TorchName()} and {b.dtype.TorchName()}");
        var r = Tensor.Empty(ScalarType.Bool, Shape.Broadcast(a.Sizes, b.Sizes, "logical_" + op.ToString().ToLowerInvariant()));
        var A = a.StorageAs<bool>();
        var B = b.StorageAs<bool>();
        var R = r.StorageAs<bool>();
        var p = new BroadcastRows(ElementwiseGrain, r.Sizes, a, b);
        int inner = p.Inner, sa = p.InnerStride(0), sb = p.InnerStride(1);
        p.Run((r0, r1) =>
        {
            for (int row = r0; row < r1; row++)
            {
                int oa = p.RowOffset(0, row), ob = p.RowOffset(1, row), o = row * inner;
                switch (op)
                {
                    case LogicalOp.And: for (int i = 0; i < inner; i++) R[o + i] = A[oa + i * sa] & B[ob + i * sb]; break;
                    case LogicalOp.Or: for (int i = 0; i < inner; i++) R[o + i] = A[oa + i * sa] | B[ob + i * sb]; break;
                    default: for (int i = 0; i < inner; i++) R[o + i] = A[oa + i * sa] ^ B[ob + i * sb]; break;
                }
            }
        });
        return r;
    }

    /// <inheritdoc/>
    public Tensor LogicalNot(Tensor a)
    {
        if (a.dtype != ScalarType.Bool) throw new ArgumentException($"logical_not: expects a bool tensor, got {a.dtype.TorchName()}");
        var src = a.is_contiguous() ? a : Contiguous(a);
        var r = Tensor.Empty(ScalarType.Bool, (int[])a.Sizes.Clone());
        var S = src.AsSpan<bool>();
        var R = r.AsSpan<bool>();
        for (int i = 0; i < R.Length; i++) R[i] = !S[i];
        return r;
    }

    /// <inheritdoc/>
    public Tensor Where(Tensor condition, Tensor a, Tensor b)
    {
        if (condition.dtype != ScalarType.Bool)
            throw new ArgumentException($"where: condition must be a bool tensor, got {condition.dtype.TorchName()}");
        if (a.dtype != b.dtype) throw new ArgumentException($"where: value dtypes differ ({a.dtype.TorchName()} vs {b.dtype.TorchName()})");
        var sizes = Shape.Broadcast(Shape.Broadcast(condition.Sizes, a.Sizes, "where"), b.Sizes, "where");
        var r = Tensor.Empty(a.dtype, sizes);
        switch (a.dtype)
        {
            case ScalarType.Float32: WhereKernel<float>(condition, a, b, r); break;
            case ScalarType.Float64: WhereKernel<double>(condition, a, b, r); break;
            case ScalarType.Int64: WhereKernel<long>(condition, a, b, r); break;
            case ScalarType.Int32: WhereKernel<int>(condition, a, b, r); break;
            case ScalarType.Bool: WhereKernel<bool>(condition, a, b, r); break;
            case ScalarType.Float16: WhereKernel<Half>(condition, a, b, r); break;
            case ScalarType.BFloat16: WhereKernel<BFloat16>(condition, a, b, r); break;
            default: throw new NotSupportedException($"where: not supported for {a.dtype.TorchName()} tensors");
        }
        return r;
    }

    private static void WhereKernel<T>(Tensor c, Tensor a, Tensor b, Tensor r) where T : unmanaged
    {
        var C = c.StorageAs<bool>();
        var A = a.StorageAs<T>();
        var B = b.StorageAs<T>();
        var R = r.StorageAs<T>();
        var p = new BroadcastRows(ElementwiseGrain, r.Sizes, c, a, b);
        int inner = p.Inner, sc = p.InnerStride(0), sa = p.InnerStride(1), sb = p.InnerStride(2);
        p.Run((r0, r1) =>
        {
            for (int row = r0; row < r1; row++)
            {
                int oc = p.RowOffset(0, row), oa = p.RowOffset(1, row), ob = p.RowOffset(2, row), o = row * inner;
                for (int i = 0; i < inner; i++) R[o + i] = C[oc + i * sc] ? A[oa + i * sa] : B[ob + i * sb];
            }
        });
    }

    /// <inheritdoc/>
    public Tensor IsFinite(Tensor x) => FloatClassify(x, nan: false);

    /// <inheritdoc/>
    public Tensor IsNan(Tensor x) => FloatClassify(x, nan: true);

    private Tensor FloatClassify(Tensor x, bool nan)
    {
        var r = Tensor.Empty(ScalarType.Bool, (int[])x.Sizes.Clone());
        var R = r.AsSpan<bool>();
        if (!x.dtype.IsFloatingPoint())
        {
            R.Fill(!nan);
            return r;
        }
        var f = x.dtype is ScalarType.Float32 or ScalarType.Float64 ? (x.is_contiguous() ? x : Contiguous(x)) : Convert(x, ScalarType.Float32);
        if (f.dtype == ScalarType.Float32) Classify<float>(f.AsSpan<float>(), R, nan);
        else Classify<double>(f.AsSpan<double>(), R, nan);
        return r;
    }

    private static void Classify<T>(ReadOnlySpan<T> x, Span<bool> r, bool nan) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (nan) for (int i = 0; i < x.Length; i++) r[i] = T.IsNaN(x[i]);
        else for (int i = 0; i < x.Length; i++) r[i] = T.IsFinite(x[i]);
    }

    /// <inheritdoc/>
    public Tensor AnyAll(Tensor x, int[] dims, bool keepdim, bool all)
    {
        if (x.dtype != ScalarType.Bool)
        {
            var zero = Tensor.Zeros(x.dtype is ScalarType.Float16 or ScalarType.BFloat16 ? ScalarType.Float32 : x.dtype, []);
            x = Compare(CompareOp.Ne, x.dtype == zero.dtype ? x : Convert(x, zero.dtype), zero);
        }
        var src = ReductionLayout(x, dims, keepdim, out int outer, out int len, out int inner, out var outSizes);
        var S = src.StorageAs<bool>();
        int so = src.Offset;
        var r = Tensor.Empty(ScalarType.Bool, outSizes);
        var R = r.StorageAs<bool>();
        ParallelFor.Run(outer * inner, Math.Max(1, ElementwiseGrain / Math.Max(len, 1)), (s, e) =>
        {
            for (int k = s; k < e; k++)
            {
                int o = k / inner, c = k % inner;
                int start = so + o * len * inner + c;
                bool acc = all;
                if (inner == 1)
                    acc = all ? !new ReadOnlySpan<bool>(S, start, len).Contains(false) : new ReadOnlySpan<bool>(S, start, len).Contains(true);
                else
                    for (int j = 0; j < len && acc == all; j++) acc = S[start + j * inner];
                R[k] = acc;
            }
        });
        return r;
    }
}
