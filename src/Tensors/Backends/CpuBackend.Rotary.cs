// CPU rotary-embedding kernel (rotate-half layout); forward and backward (inverse rotation) share it.
using System.Numerics;
using System.Numerics.Tensors;

namespace PluginMoE.Tensors.Backends;

public sealed partial class CpuBackend
{
    /// <inheritdoc/>
    public Tensor RotaryApply(Tensor x, Tensor cos, Tensor sin, Tensor positions, bool inverse)
    {
        CheckFloat(x, "rotary embedding");
        if (positions.dtype != ScalarType.Int64) throw new ArgumentException($"rotary embedding: positions must be int64, got {positions.dtype.TorchName()}");
        var y = Tensor.Empty(x.dtype, (int[])x.Sizes.Clone());
        if (x.dtype == ScalarType.Float32) RotaryApply<float>(x, cos, sin, positions, inverse, y);
        else RotaryApply<double>(x, cos, sin, positions, inverse, y);
        return y;
    }

    // x, y: (outer, T, D); cos, sin: (P, D/2); positions: (T) or (B, T) with B dividing outer.
    private static void RotaryApply<T>(Tensor x, Tensor cos, Tensor sin, Tensor positions, bool inverse, Tensor y) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int rank = x.Sizes.Length;
        int seq = x.Sizes[rank - 2], d = x.Sizes[rank - 1], h = d / 2;
        int outer = seq * d == 0 ? 0 : x.NumelCached / (seq * d);
        int batches = positions.Sizes.Length == 2 ? positions.Sizes[0] : 1;
        int perBatch = batches == 0 ? 0 : outer / batches; // leading rows sharing one positions row
        var X = x.StorageAs<T>(); int xo = x.Offset;
        var Y = y.StorageAs<T>();
        var C = cos.StorageAs<T>(); int co = cos.Offset;
        var S = sin.StorageAs<T>(); int so = sin.Offset;
        var Pos = positions.StorageAs<long>(); int po = positions.Offset;
        int rows = outer * seq;
        ParallelFor.Run(rows, Math.Max(1, 8192 / Math.Max(d, 1)), (r0, r1) =>
        {
            var tmp = new T[h];
            for (int r = r0; r < r1; r++)
            {
                int o = r / seq, t = r % seq;
                int p = (int)Pos[po + (batches == 1 ? 0 : o / perBatch * seq) + t];
                var c = new ReadOnlySpan<T>(C, co + p * h, h);
                var s = new ReadOnlySpan<T>(S, so + p * h, h);
                var x1 = new ReadOnlySpan<T>(X, xo + r * d, h);
                var x2 = new ReadOnlySpan<T>(X, xo + r * d + h, h);
                var y1 = new Span<T>(Y, r * d, h);
                var y2 = new Span<T>(Y, r * d + h, h);
                // forward: y1 = x1 c - x2 s, y2 = x2 c + x1 s; inverse: the same with -s.
                TensorPrimitives.Multiply(x2, s, tmp);
                TensorPrimitives.Multiply(x1, c, y1);
                if (inverse) TensorPrimitives.Add(y1, tmp, y1);
                else TensorPrimitives.Subtract(y1, tmp, y1);
                TensorPrimitives.Multiply(x1, s, tmp);
                TensorPrimitives.Multiply(x2, c, y2);
                if (inverse) TensorPrimitives.Subtract(y2, tmp, y2);
                else TensorPrimitives.Add(y2, tmp, y2);
            }
        });
    }
}
