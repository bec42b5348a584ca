// CPU softmax/log-softmax forward and backward, fused per row: the last dim runs as contiguous SIMD rows; other
// dims run column blocks of the (outer, len, inner) view so that every pass still reads contiguous memory.
using System.Numerics;
using System.Numerics.Tensors;

namespace PluginMoE.Tensors.Backends;

public sealed partial class CpuBackend
{
    /// <inheritdoc/>
    public Tensor Softmax(Tensor x, int dim, bool log)
    {
        RequireFloat(x, log ? "log_softmax" : "softmax");
        var src = ReductionLayout(x, [dim], true, out int outer, out int len, out int inner, out _);
        var r = Tensor.Empty(x.dtype, (int[])x.Sizes.Clone());
        if (x.dtype == ScalarType.Float32) SoftmaxKernel<float>(src, r, outer, len, inner, log);
        else SoftmaxKernel<double>(src, r, outer, len, inner, log);
        return r;
    }

    private static void SoftmaxKernel<T>(Tensor src, Tensor r, int outer, int len, int inner, bool log) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (r.NumelCached == 0) return;
        var S = src.StorageAs<T>();
        int so = src.Offset;
        var R = r.StorageAs<T>();
        int block = Math.Min(inner, ReduceColumnBlock);
        int nb = (inner + block - 1) / block;
        ParallelFor.Run(outer * nb, Math.Max(1, ElementwiseGrain / Math.Max(1, len * block)), (s, e) =>
        {
            var mx = new T[block];
            var sum = new T[block];
            for (int item = s; item < e; item++)
            {
                int o = item / nb, c0 = item % nb * block, cw = Math.Min(inner, c0 + block) - c0;
                int off = o * len * inner;
                if (inner == 1)
                {
                    var x = new ReadOnlySpan<T>(S, so + off, len);
                    var y = R.AsSpan(off, len);
                    T m = TensorPrimitives.Max(x);
                    TensorPrimitives.Subtract(x, m, y);
                    VectorMath.Exp<T>(y, y);
                    T total = TensorPrimitives.Sum<T>(y);
                    if (!log) TensorPrimitives.Divide(y, total, y);
                    else
                    {
                        TensorPrimitives.Subtract(x, m, y);
                        TensorPrimitives.Subtract(y, T.Log(total), y);
                    }
                    continue;
                }
                var mc = mx.AsSpan(0, cw);
                var sc = sum.AsSpan(0, cw);
                new ReadOnlySpan<T>(S, so + off + c0, cw).CopyTo(mc);
                for (int j = 1; j < len; j++) TensorPrimitives.Max(mc, new ReadOnlySpan<T>(S, so + off + j * inner + c0, cw), mc);
                sc.Clear();
                for (int j = 0; j < len; j++)
                {
                    var y = R.AsSpan(off + j * inner + c0, cw);
                    TensorPrimitives.Subtract(new ReadOnlySpan<T>(S, so + off + j * inner + c0, cw), mc, y);
                    VectorMath.Exp<T>(y, y);
                    TensorPrimitives.Add(sc, y, sc);
                }
                if (log) TensorPrimitives.Log(sc, sc);
                for (int j = 0; j < len; j++)
                {
                    var y = R.AsSpan(off + j * inner + c0, cw);
                    if (!log) TensorPrimitives.Divide(y, sc, y);
                    else
                    {
                        TensorPrimitives.Subtract(new ReadOnlySpan<T>(S, so + off + j * inner + c0, cw), mc, y);
                        TensorPrimitives.Subtract(y, sc, y);
                    }
                }
            }
        });
    }

    /// <inheritdoc/>
    public Tensor SoftmaxBackward(Tensor grad, Tensor output, int dim, bool log)
    {
        RequireFloat(grad, log ? "log_softmax backward" : "softmax backward");
        var g = ReductionLayout(grad, [dim], true, out int outer, out int len, out int inner, out _);
        var y = UnaryContig(output.dtype == grad.dtype ? output : Convert(output, grad.dtype));
        var r = Tensor.Empty(grad.dtype, (int[])grad.Sizes.Clone());
        if (grad.dtype == ScalarType.Float32) SoftmaxBackwardKernel<float>(g, y, r, outer, len, inner, log);
        else SoftmaxBackwardKernel<double>(g, y, r, outer, len, inner, log);
        return r;
    }

    private static void SoftmaxBackwardKernel<T>(Tensor grad, Tensor output, Tensor r, int outer, int len, int inner, bool log)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (r.NumelCached == 0) return;
        var G = grad.StorageAs<T>();
        var Y = output.StorageAs<T>();
        var R = r.StorageAs<T>();
        int go = grad.Offset, yo = output.Offset;
        int block = Math.Min(inner, ReduceColumnBlock);
        int nb = (inner + block - 1) / block;
        ParallelFor.Run(outer * nb, Math.Max(1, ElementwiseGrain / Math.Max(1, len * block)), (s, e) =>
        {
            var acc = new T[block];
            var tmp = new T[block];
            for (int item = s; item < e; item++)
            {
                int o = item / nb, c0 = item % nb * block, cw = Math.Min(inner, c0 + block) - c0;
                int off = o * len * inner;
                if (inner == 1)
                {
                    var g = new ReadOnlySpan<T>(G, go + off, len);
                    var y = new ReadOnlySpan<T>(Y, yo + off, len);
                    var d = R.AsSpan(off, len);
                    if (!log)
                    {
                        T dot = TensorPrimitives.Dot(g, y);     // dx = y (g - sum(g y))
                        TensorPrimitives.Subtract(g, dot, d);
                        TensorPrimitives.Multiply(d, y, d);
                    }
                    else
                    {
                        T total = TensorPrimitives.Sum(g);      // dx = g - softmax * sum(g)
                        VectorMath.Exp<T>(y, d);
                        TensorPrimitives.Multiply(d, total, d);
                        TensorPrimitives.Subtract(g, d, d);
                    }
                    continue;
                }
                var a = acc.AsSpan(0, cw);
                var t = tmp.AsSpan(0, cw);
                a.Clear();
                for (int j = 0; j < len; j++)
                {
                    var g = new ReadOnlySpan<T>(G, go + off + j * inner + c0, cw);
                    if (!log) TensorPrimitives.MultiplyAdd(g, new ReadOnlySpan<T>(Y, yo + off + j * inner + c0, cw), a, a);
                    else TensorPrimitives.Add(a, g, a);
                }
                for (int j = 0; j < len; j++)
                {
                    var g = new ReadOnlySpan<T>(G, go + off + j * inner + c0, cw);
                    var y = new ReadOnlySpan<T>(Y, yo + off + j * inner + c0, cw);
                    var d = R.AsSpan(off + j * inner + c0, cw);
                    if (!log)
                    {
                        TensorPrimitives.Subtract(g, a, t);
                        TensorPrimitives.Multiply(t, y, d);
                    }
                    else
                    {
                        VectorMath.Exp<T>(y, t);
                        TensorPrimitives.Multiply(t, a, t);
                        TensorPrimitives.Subtract(g, t, d);
                    }
                }
            }
        });
    }
}
