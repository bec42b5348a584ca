// CPU rotary-embedding kernel (rotate-half layout); forward and backward (inverse rotation) share it.
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace PluginMoE.Tensors.Backends;

public sealed partial class CpuBackend
{
    /// <inheritdoc/>
    public Tensor RotaryApply(Tensor x, Tensor cos, Tensor sin, Tensor positions, bool inverse)
    {
        CheckFloat(x, "rotary embedding");
        if (positions.dtype != ScalarType.Int64) throw new ArgumentException($"rotary embedding: positions must be int64, got {positions.dtype.TorchName()}");
        int rank = x.Sizes.Length;
        if (rank < 2 || (x.Strides[rank - 1] != 1 && x.Sizes[rank - 1] > 1))
            throw new ArgumentException($"rotary embedding: x must be (..., T, D) with last-dim stride 1, got shape {Shape.Format(x.Sizes)} strides {Shape.Format(x.Strides)}");
        var y = Tensor.Empty(x.dtype, (int[])x.Sizes.Clone());
        if (x.dtype == ScalarType.Float32) RotaryApply<float>(x, cos, sin, positions, inverse, y);
        else RotaryApply<double>(x, cos, sin, positions, inverse, y);
        return y;
    }

    // x: (outer..., T, D) with contiguous rows (last-dim stride 1) and any other strides (e.g. the head-transposed
    // view of a fused QKV projection); y: the same shape, contiguous; cos, sin: (P, D/2) contiguous; positions: (T) or
    // (B, T) with B dividing outer.
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
        int seqStride = x.Strides[rank - 2];
        var outerSizes = x.Sizes[..(rank - 2)];
        var outerStrides = x.Strides[..(rank - 2)];
        int rows = outer * seq;
        // Outer index o -> element offset of its row 0 in X, and of its positions row in Pos.
        int OuterOffset(int o)
        {
            int rem = o, off = 0;
            for (int a = outerSizes.Length - 1; a >= 0; a--)
            {
                off += rem % outerSizes[a] * outerStrides[a];
                rem /= outerSizes[a];
            }
            return off;
        }
        int PosRow(int o) => po + (batches == 1 ? 0 : o / perBatch * seq);
        // Rows are independent: dynamic chunks. Within a chunk the (outer, t) index is stepped, not divided out per row
        // (the divisions cost more than rotating a short head row).
        ParallelFor.RunBalanced(rows, Math.Max(1, 8192 / Math.Max(d, 1)), (r0, r1) =>
        {
            ref T cBase = ref MemoryMarshal.GetArrayDataReference(C);
            ref T sBase = ref MemoryMarshal.GetArrayDataReference(S);
            ref T xBase = ref MemoryMarshal.GetArrayDataReference(X);
            ref T yBase = ref MemoryMarshal.GetArrayDataReference(Y);
            int o = r0 / seq, t = r0 % seq;
            int xOuter = xo + OuterOffset(o), pRow = PosRow(o);
            for (int r = r0; r < r1; r++)
            {
                int p = (int)Pos[pRow + t];
                RotateRow(ref Unsafe.Add(ref xBase, xOuter + t * seqStride), ref Unsafe.Add(ref yBase, r * d),
                    ref Unsafe.Add(ref cBase, co + p * h), ref Unsafe.Add(ref sBase, so + p * h), h, inverse);
                if (++t == seq && r + 1 < r1)
                {
                    t = 0;
                    o++;
                    xOuter = xo + OuterOffset(o);
                    pRow = PosRow(o);
                }
            }
        });
    }

    // One row: forward y1 = x1 c - x2 s, y2 = x2 c + x1 s; inverse the same with -s. Each element is rounded as
    // (x1 * c) -/+ (x2 * s) (two products, then one add), vector and scalar parts alike.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void RotateRow<T>(ref T x, ref T y, ref T c, ref T s, int h, bool inverse) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int i = 0;
        if (Vector.IsHardwareAccelerated && h >= Vector<T>.Count)
        {
            for (; i <= h - Vector<T>.Count; i += Vector<T>.Count)
            {
                var x1 = Vector.LoadUnsafe(ref x, (nuint)i);
                var x2 = Vector.LoadUnsafe(ref x, (nuint)(i + h));
                var cv = Vector.LoadUnsafe(ref c, (nuint)i);
                var sv = Vector.LoadUnsafe(ref s, (nuint)i);
                Vector<T> y1, y2;
                if (inverse) { y1 = x1 * cv + x2 * sv; y2 = x2 * cv - x1 * sv; }
                else { y1 = x1 * cv - x2 * sv; y2 = x2 * cv + x1 * sv; }
                y1.StoreUnsafe(ref y, (nuint)i);
                y2.StoreUnsafe(ref y, (nuint)(i + h));
            }
        }
        for (; i < h; i++)
        {
            T x1 = Unsafe.Add(ref x, i), x2 = Unsafe.Add(ref x, i + h), cv = Unsafe.Add(ref c, i), sv = Unsafe.Add(ref s, i);
            if (inverse) { Unsafe.Add(ref y, i) = x1 * cv + x2 * sv; Unsafe.Add(ref y, i + h) = x2 * cv - x1 * sv; }
            else { Unsafe.Add(ref y, i) = x1 * cv - x2 * sv; Unsafe.Add(ref y, i + h) = x2 * cv + x1 * sv; }
        }
    }
}
