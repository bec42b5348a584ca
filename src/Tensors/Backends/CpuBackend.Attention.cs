// CPU fused attention (FlashAttention-2 style, Dao 2023): forward = online softmax over key blocks, each (query block x
// key block) tile done with blocked GEMMs (CpuBackend.AttentionTiles.cs); backward = the same tiles recomputing P from the
// saved logsumexp, one pass per (batch, kv head) (or two deterministic passes when there are few such pairs).
using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace PluginMoE.Tensors.Backends;

public sealed partial class CpuBackend
{
    /// <summary>A (B, H, N, D) operand whose rows (last dim) are contiguous; other strides are arbitrary.</summary>
    private readonly struct RowView<T>(Tensor t) where T : unmanaged
    {
        private readonly T[] _data = t.StorageAs<T>();
        private readonly int _offset = t.Offset, _s0 = t.Strides[0], _s1 = t.Strides[1], _s2 = t.Strides[2], _dim = t.Sizes[3];

        public ReadOnlySpan<T> Row(int b, int h, int i) => new(_data, _offset + b * _s0 + h * _s1 + i * _s2, _dim);

        /// <summary>The storage array (rows are read through <see cref="RowOffset"/> and <see cref="RowStride"/>).</summary>
        public T[] Data => _data;

        /// <summary>Index of element 0 of row (b, h, i) in <see cref="Data"/>.</summary>
        public int RowOffset(int b, int h, int i) => _offset + b * _s0 + h * _s1 + i * _s2;

        /// <summary>Distance between consecutive rows of one (b, h) slice.</summary>
        public int RowStride => _s2;

        /// <summary>Row length (last dim).</summary>
        public int Dim => _dim;
    }

    private static void CheckAttentionOperands(Tensor q, Tensor k, Tensor v)
    {
        CheckFloat(q, "scaled_dot_product_attention");
        foreach (var t in (ReadOnlySpan<Tensor>)[q, k, v])
            if (t.dtype != q.dtype || t.Sizes.Length != 4 || (t.Strides[3] != 1 && t.Sizes[3] > 1))
                throw new ArgumentException("attention kernel: q, k, v must be 4-D tensors of one dtype with last-dim stride 1");
    }

    /// <inheritdoc/>
    public (Tensor output, Tensor lse) AttentionForward(Tensor q, Tensor k, Tensor v, bool isCausal, double scale, int blockSize)
    {
        CheckAttentionOperands(q, k, v);
        var o = Tensor.Empty(q.dtype, [q.Sizes[0], q.Sizes[1], q.Sizes[2], v.Sizes[3]]);
        var lse = Tensor.Empty(q.dtype, [q.Sizes[0], q.Sizes[1], q.Sizes[2]]);
        if (q.dtype == ScalarType.Float32) AttentionForward<float>(q, k, v, isCausal, (float)scale, Math.Max(1, blockSize), o, lse);
        else AttentionForward<double>(q, k, v, isCausal, scale, Math.Max(1, blockSize), o, lse);
        return (o, lse);
    }

    // q: (B, Hq, T, D), k: (B, Hkv, S, D), v: (B, Hkv, S, Dv) -> o: (B, Hq, T, Dv), lse: (B, Hq, T) (lse may be null:
    // inference, nothing saved). Work unit = (b, h, query block); per key block: S = Q K^T as one blocked GEMM tile, the
    // online-softmax update row by row (running max m and sum l, rescaling the output rows), then O += P V as one tile;
    // o rows are the accumulators. K^T of the unit's (b, kv head) is packed once per worker into a (D, S + w) buffer and
    // extended as later query blocks need more keys: consecutive units of a chunk are the query blocks of one head (and
    // the heads of one kv group), so no key row is transposed twice for them (it was once per query block).
    private static void AttentionForward<T>(Tensor q, Tensor k, Tensor v, bool causal, T scale, int bs, Tensor o, Tensor? lse)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int nb = q.Sizes[0], hq = q.Sizes[1], tq = q.Sizes[2], d = q.Sizes[3], hkv = k.Sizes[1], s = k.Sizes[2], dv = v.Sizes[3];
        int group = hq / hkv, shift = s - tq, nqb = (tq + bs - 1) / bs;
        int w = TileWidth<T>(), ld = (bs + w - 1) / w * w, ldk = s + w; // ldk: every key block's padded width fits
        var Q = new RowView<T>(q);
        var K = new RowView<T>(k);
        var V = new RowView<T>(v);
        var O = o.StorageAs<T>();
        var L = lse?.StorageAs<T>();
        // Chunks are claimed dynamically (several per thread): a unit's arithmetic does not depend on its chunk.
        ParallelFor.RunBalanced(nb * hq * nqb, 1, (u0, u1) =>
        {
            var (kt, tile) = ForwardScratch<T>.Get(d * ldk, bs * ld + 3 * bs);
            var p = tile.AsSpan(0, bs * ld);           // scores, then probabilities, of one tile
            var m = tile.AsSpan(bs * ld, bs);          // running row max of the scaled scores
            var l = tile.AsSpan(bs * ld + bs, bs);     // running row sum of exp(score - m)
            var corr = tile.AsSpan(bs * ld + 2 * bs, bs); // per row: old max - new max, then its exp (the rescale)
            // kt: K^T of keys [0, packed) of (ktB, ktG); columns s.. are zero
            for (int e = 0; e < d; e++) Array.Clear(kt, e * ldk + s, ldk - s);
            int ktB = -1, ktG = -1, packed = 0;
            for (int u = u0; u < u1; u++)
            {
                int b = u / (hq * nqb), h = u / nqb % hq, qb = u % nqb, g = h / group;
                if (b != ktB || g != ktG) (ktB, ktG, packed) = (b, g, 0);
                int i0 = qb * bs, i1 = Math.Min(tq, i0 + bs), nq = i1 - i0;
                int row = (b * hq + h) * tq + i0;
                m.Fill(T.NegativeInfinity);
                l.Clear();
                O.AsSpan(row * dv, nq * dv).Clear();
                int jEnd = causal ? Math.Min(s, i1 + shift) : s; // keys visible to the block's last row
                for (int j0 = 0; j0 < jEnd; j0 += bs)
                {
                    int nk = Math.Min(s, j0 + bs) - j0, nkv = (nk + w - 1) / w * w;
                    int need = Math.Min(s, j0 + nkv); // every column the tile reads below s is a packed key
                    if (need > packed)
                    {
                        PackTransposed(K, b, g, packed, need - packed, kt, ldk, packed);
                        packed = need;
                    }
                    TileGemm(Q.Data, Q.RowOffset(b, h, i0), Q.RowStride, 1, kt, j0, ldk, tile, 0, ld, nq, nkv, d, accumulate: false); // S = Q K^T
                    // Online softmax over the tile's rows: new row maxima, the rescale factors exp(m_old - m_new) of all
                    // rows as one vector exp (0 on the first block, where m_old = -inf), then each row's exp and sum.
                    for (int r = 0; r < nq; r++)
                    {
                        int cnt = Math.Clamp(causal ? i0 + r + shift + 1 - j0 : nk, 0, nk);
                        if (cnt == 0) { corr[r] = T.Zero; continue; } // exp(0) = 1: the row is unchanged
                        T mNew = T.Max(m[r], ScaleMax(p.Slice(r * ld, nkv), cnt, scale));
                        corr[r] = m[r] - mNew;
                        m[r] = mNew;
                    }
                    VectorMath.Exp<T>(corr[..nq], corr[..nq]);
                    for (int r = 0; r < nq; r++)
                    {
                        int cnt = Math.Clamp(causal ? i0 + r + shift + 1 - j0 : nk, 0, nk);
                        var pr = p.Slice(r * ld, nkv);
                        if (cnt == 0) { pr.Clear(); continue; }
                        T c = corr[r];
                        l[r] = l[r] * c + ExpShiftSum(pr, cnt, m[r]);
                        if (c != T.One)
                        {
                            var acc = O.AsSpan((row + r) * dv, dv);
                            TensorPrimitives.Multiply(acc, c, acc);
                        }
                    }
                    TileGemm(tile, 0, ld, 1, V.Data, V.RowOffset(b, g, j0), V.RowStride, O, row * dv, dv, nq, dv, nk, accumulate: true); // O += P V
                }
                for (int r = 0; r < nq; r++)
                {
                    var acc = O.AsSpan((row + r) * dv, dv);
                    TensorPrimitives.Multiply(acc, T.One / l[r], acc);
                    if (L is not null) L[row + r] = m[r] + T.Log(l[r]);
                }
            }
        });
    }

    /// <summary>Per-thread buffers of the forward (packed K^T; score tile and row statistics), kept between calls and chunks.</summary>
    private static class ForwardScratch<T> where T : unmanaged
    {
        [ThreadStatic] private static T[]? _keys, _tile;

        /// <summary>This thread's buffers, at least the given lengths; contents are whatever the last use left.</summary>
        public static (T[] Keys, T[] Tile) Get(int keys, int tile)
        {
            var k = _keys;
            if (k is null || k.Length < keys) _keys = k = new T[keys];
            var t = _tile;
            if (t is null || t.Length < tile) _tile = t = new T[tile];
            return (k, t);
        }
    }

    /// <inheritdoc/>
    public (Tensor dq, Tensor dk, Tensor dv) AttentionBackward(Tensor dout, Tensor q, Tensor k, Tensor v, Tensor output, Tensor lse, bool isCausal, double scale, int blockSize)
    {
        CheckAttentionOperands(q, k, v);
        if (dout.dtype != q.dtype || (dout.Strides[3] != 1 && dout.Sizes[3] > 1)) throw new ArgumentException("attention backward: dout must match q's dtype and have last-dim stride 1");
        var dq = Tensor.Zeros(q.dtype, (int[])q.Sizes.Clone());
        var dk = Tensor.Zeros(q.dtype, (int[])k.Sizes.Clone());
        var dv = Tensor.Zeros(q.dtype, (int[])v.Sizes.Clone());
        int bs = Math.Max(1, blockSize);
        if (q.dtype == ScalarType.Float32) AttentionBackward<float>(dout, q, k, v, output, lse, isCausal, (float)scale, bs, dq, dk, dv);
        else AttentionBackward<double>(dout, q, k, v, output, lse, isCausal, scale, bs, dq, dk, dv);
        return (dq, dk, dv);
    }

    // dout, output: (B, Hq, T, Dv); lse: (B, Hq, T) -> dq: (B, Hq, T, D), dk: (B, Hkv, S, D), dv: (B, Hkv, S, Dv).
    // delta (B, Hq, T) = rowsum(dout * output). Every (query block, key block) tile is one call of BackwardTile, which
    // recomputes P = exp(scale * Q K^T - lse) and dS = P * (dO V^T - delta) with blocked GEMMs and adds its terms to
    // dV, dK (rows of the key block) and dQ (rows of the query block). Each dK/dV row receives its tiles in the order
    // (query head of the group, query block) and each dQ row in key-block order, whichever schedule runs:
    //  - one pass: a worker owns (b, kv head) and runs its tiles key block by key block (no recomputation);
    //  - two passes, when there are too few (b, kv head) pairs to keep the threads busy: pass 1 owns (b, kv head,
    //    key block) and adds dK/dV, pass 2 owns (b, head, query block) and adds dQ (recomputing P and dS).
    // Both give bitwise the same gradients, so the result never depends on the thread count.
    private static void AttentionBackward<T>(Tensor dout, Tensor q, Tensor k, Tensor v, Tensor output, Tensor lse, bool causal, T scale, int bs,
        Tensor dq, Tensor dk, Tensor dv) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int nb = q.Sizes[0], hq = q.Sizes[1], tq = q.Sizes[2], d = q.Sizes[3], hkv = k.Sizes[1], s = k.Sizes[2], dvDim = v.Sizes[3];
        int group = hq / hkv, shift = s - tq, nqb = (tq + bs - 1) / bs, nkb = (s + bs - 1) / bs;
        int w = TileWidth<T>(), ld = (bs + w - 1) / w * w; // tile row length, padded to whole vectors
        var Q = new RowView<T>(q);
        var K = new RowView<T>(k);
        var V = new RowView<T>(v);
        var DO = new RowView<T>(dout);
        var O = output.StorageAs<T>(); int oo = output.Offset;
        var L = lse.StorageAs<T>(); int lo = lse.Offset;
        var DQ = dq.StorageAs<T>();
        var DK = dk.StorageAs<T>();
        var DV = dv.StorageAs<T>();

        var delta = new T[nb * hq * tq];
        ParallelFor.Run(delta.Length, Math.Max(1, 8192 / Math.Max(dvDim, 1)), (r0, r1) =>
        {
            for (int r = r0; r < r1; r++)
                delta[r] = TensorPrimitives.Dot(DO.Row(r / (hq * tq), r / tq % hq, r % tq), new ReadOnlySpan<T>(O, oo + r * dvDim, dvDim));
        });

        // Per-worker scratch: P and dS tiles (bs x ld), K^T and V^T of the current key block (dim x ld).
        T[][] Scratch() => [new T[bs * ld], new T[bs * ld], new T[d * ld], new T[dvDim * ld]];
        int FirstQueryBlock(int j0) => causal ? Math.Max(0, j0 - shift) / bs : 0; // first block with a row that sees key j0
        int KeyEnd(int i1) => causal ? Math.Min(s, i1 + shift) : s;               // keys visible to a block ending at row i1

        // The tile (b, h, query block qb) x (key block kb); kt/vt hold K^T, V^T of the key block.
        void BackwardTile(T[][] sc, int b, int h, int qb, int kb, bool addKV, bool addQ)
        {
            var (p, ds, kt, vt) = (sc[0], sc[1], sc[2], sc[3]);
            int g = h / group, i0 = qb * bs, nq = Math.Min(tq, i0 + bs) - i0, j0 = kb * bs, nk = Math.Min(s, j0 + bs) - j0;
            int nkv = (nk + w - 1) / w * w;
            int qOff = Q.RowOffset(b, h, i0), doOff = DO.RowOffset(b, h, i0), row = (b * hq + h) * tq + i0;
            TileGemm(Q.Data, qOff, Q.RowStride, 1, kt, 0, ld, p, 0, ld, nq, nkv, d, accumulate: false);        // S = Q K^T
            TileGemm(DO.Data, doOff, DO.RowStride, 1, vt, 0, ld, ds, 0, ld, nq, nkv, dvDim, accumulate: false); // dP = dO V^T
            for (int r = 0; r < nq; r++)
            {
                int cnt = Math.Clamp(causal ? i0 + r + shift + 1 - j0 : nk, 0, nk);
                var pr = p.AsSpan(r * ld, nkv);
                var dr = ds.AsSpan(r * ld, nkv);
                BackwardRow(pr, dr, cnt, scale, L[lo + row + r], delta[row + r]); // P, and scale * (dP - delta) * P
            }
            if (addKV)
            {
                int kvRow = (b * hkv + g) * s + j0;
                TileGemm(p, 0, 1, ld, DO.Data, doOff, DO.RowStride, DV, kvRow * dvDim, dvDim, nk, dvDim, nq, accumulate: true); // dV += P^T dO
                TileGemm(ds, 0, 1, ld, Q.Data, qOff, Q.RowStride, DK, kvRow * d, d, nk, d, nq, accumulate: true);               // dK += dS^T Q
            }
            if (addQ)
                TileGemm(ds, 0, ld, 1, K.Data, K.RowOffset(b, g, j0), K.RowStride, DQ, row * d, d, nq, d, nk, accumulate: true); // dQ += dS K
        }

        void PackKeyBlock(T[][] sc, int b, int g, int kb)
        {
            int j0 = kb * bs, nk = Math.Min(s, j0 + bs) - j0;
            PackTransposed(K, b, g, j0, nk, sc[2], ld);
            PackTransposed(V, b, g, j0, nk, sc[3], ld);
        }

        int units = nb * hkv, threads = ParallelFor.Threads;
        if (threads == 1 || units >= 2 * threads)
        {
            ParallelFor.Run(units, 1, (u0, u1) =>
            {
                var sc = Scratch();
                for (int u = u0; u < u1; u++)
                {
                    int b = u / hkv, g = u % hkv;
                    for (int kb = 0; kb < nkb; kb++)
                    {
                        PackKeyBlock(sc, b, g, kb);
                        for (int h = g * group; h < (g + 1) * group; h++)
                            for (int qb = FirstQueryBlock(kb * bs); qb < nqb; qb++)
                                BackwardTile(sc, b, h, qb, kb, addKV: true, addQ: true);
                    }
                }
            });
            return;
        }

        ParallelFor.Run(units * nkb, 1, (u0, u1) =>
        {
            var sc = Scratch();
            for (int u = u0; u < u1; u++)
            {
                int b = u / (hkv * nkb), g = u / nkb % hkv, kb = u % nkb;
                PackKeyBlock(sc, b, g, kb);
                for (int h = g * group; h < (g + 1) * group; h++)
                    for (int qb = FirstQueryBlock(kb * bs); qb < nqb; qb++)
                        BackwardTile(sc, b, h, qb, kb, addKV: true, addQ: false);
            }
        });
        ParallelFor.Run(nb * hq * nqb, 1, (u0, u1) =>
        {
            var sc = Scratch();
            for (int u = u0; u < u1; u++)
            {
                int b = u / (hq * nqb), h = u / nqb % hq, qb = u % nqb;
                int kEnd = KeyEnd(Math.Min(tq, qb * bs + bs));
                for (int kb = 0; kb * bs < kEnd; kb++)
                {
                    PackKeyBlock(sc, b, h / group, kb);
                    BackwardTile(sc, b, h, qb, kb, addKV: false, addQ: true);
                }
            }
        });
    }

    // Row passes of the attention tiles. A tile row holds n scores of which the first cnt are visible (causal mask);
    // the row is padded to whole vectors (the tile's ld), so every pass runs whole vectors and masks the lanes at and
    // past cnt in the last one: no scalar tail (a scalar exp per element was about a third of a diagonal tile's exps).

    /// <summary>The lanes of a vector starting at element <paramref name="i"/> that lie below <paramref name="cnt"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<T> Below512<T>(int i, int cnt) where T : unmanaged, IFloatingPointIeee754<T> =>
        Vector512.LessThan(Vector512<T>.Indices, Vector512.Create(T.CreateTruncating(cnt - i)));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<T> Below256<T>(int i, int cnt) where T : unmanaged, IFloatingPointIeee754<T> =>
        Vector256.LessThan(Vector256<T>.Indices, Vector256.Create(T.CreateTruncating(cnt - i)));

    /// <summary>
    /// Scales the first <paramref name="cnt"/> scores of a row in place (<c>s *= scale</c>) and returns their largest; the
    /// row must have room for whole vectors up to cnt (lanes past cnt are overwritten with scaled garbage, not counted).
    /// </summary>
    private static T ScaleMax<T>(Span<T> s, int cnt, T scale) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ref T p = ref MemoryMarshal.GetReference(s);
        int i = 0;
        if (Vector512.IsHardwareAccelerated && s.Length >= (cnt + Vector512<T>.Count - 1) / Vector512<T>.Count * Vector512<T>.Count)
        {
            var vs = Vector512.Create(scale);
            var ninf = Vector512.Create(T.NegativeInfinity);
            var vm = ninf;
            for (; i < cnt; i += Vector512<T>.Count)
            {
                var v = Vector512.LoadUnsafe(ref p, (nuint)i) * vs;
                v.StoreUnsafe(ref p, (nuint)i);
                if (cnt - i < Vector512<T>.Count) v = Vector512.ConditionalSelect(Below512<T>(i, cnt), v, ninf);
                vm = Vector512.Max(vm, v);
            }
            return MaxAcross(Vector256.Max(vm.GetLower(), vm.GetUpper()));
        }
        if (Vector256.IsHardwareAccelerated && s.Length >= (cnt + Vector256<T>.Count - 1) / Vector256<T>.Count * Vector256<T>.Count)
        {
            var vs = Vector256.Create(scale);
            var ninf = Vector256.Create(T.NegativeInfinity);
            var vm = ninf;
            for (; i < cnt; i += Vector256<T>.Count)
            {
                var v = Vector256.LoadUnsafe(ref p, (nuint)i) * vs;
                v.StoreUnsafe(ref p, (nuint)i);
                if (cnt - i < Vector256<T>.Count) v = Vector256.ConditionalSelect(Below256<T>(i, cnt), v, ninf);
                vm = Vector256.Max(vm, v);
            }
            return MaxAcross(vm);
        }
        T max = T.NegativeInfinity;
        for (; i < cnt; i++)
        {
            T v = Unsafe.Add(ref p, i) * scale;
            Unsafe.Add(ref p, i) = v;
            max = T.Max(max, v);
        }
        return max;
    }

    /// <summary>The largest lane of <paramref name="v"/> (halving the width, then the last four lanes one by one).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static T MaxAcross<T>(Vector256<T> v) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var h = Vector128.Max(v.GetLower(), v.GetUpper());
        T max = h.GetElement(0);
        for (int j = 1; j < Vector128<T>.Count; j++) max = T.Max(max, h.GetElement(j));
        return max;
    }

    /// <summary>
    /// <c>s[j] = exp(s[j] - m)</c> for j &lt; cnt and 0 for cnt &lt;= j &lt; s.Length, in place, returning the sum of the
    /// first cnt: the online-softmax update of one row in one pass (float32 exp through <see cref="VectorMath"/>, float64
    /// through the runtime's <c>Vector512/256.Exp</c>). The row must have room for whole vectors up to its length.
    /// </summary>
    private static T ExpShiftSum<T>(Span<T> s, int cnt, T m) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ref T p = ref MemoryMarshal.GetReference(s);
        int n = s.Length, i = 0;
        if (Vector512.IsHardwareAccelerated && n % Vector512<T>.Count == 0)
        {
            var vm = Vector512.Create(m);
            var acc = Vector512<T>.Zero;
            for (; i < cnt; i += Vector512<T>.Count)
            {
                var v = Exp512(Vector512.LoadUnsafe(ref p, (nuint)i) - vm);
                if (cnt - i < Vector512<T>.Count) v = Vector512.ConditionalSelect(Below512<T>(i, cnt), v, Vector512<T>.Zero);
                v.StoreUnsafe(ref p, (nuint)i);
                acc += v;
            }
            for (; i < n; i += Vector512<T>.Count) Vector512<T>.Zero.StoreUnsafe(ref p, (nuint)i);
            return Vector512.Sum(acc);
        }
        if (Vector256.IsHardwareAccelerated && n % Vector256<T>.Count == 0)
        {
            var vm = Vector256.Create(m);
            var acc = Vector256<T>.Zero;
            for (; i < cnt; i += Vector256<T>.Count)
            {
                var v = Exp256(Vector256.LoadUnsafe(ref p, (nuint)i) - vm);
                if (cnt - i < Vector256<T>.Count) v = Vector256.ConditionalSelect(Below256<T>(i, cnt), v, Vector256<T>.Zero);
                v.StoreUnsafe(ref p, (nuint)i);
                acc += v;
            }
            for (; i < n; i += Vector256<T>.Count) Vector256<T>.Zero.StoreUnsafe(ref p, (nuint)i);
            return Vector256.Sum(acc);
        }
        T sum = T.Zero;
        for (; i < cnt; i++)
        {
            T v = VectorMath.Exp(Unsafe.Add(ref p, i) - m);
            Unsafe.Add(ref p, i) = v;
            sum += v;
        }
        s[cnt..].Clear();
        return sum;
    }

    /// <summary>
    /// The backward tile's row pass, in place over the row's first cnt columns: <c>p = exp(p * scale - lse)</c> (the
    /// probabilities recomputed from the scores) and <c>ds = ((ds - delta) * p) * scale</c> (dS from dP), each operation
    /// rounded as the separate element-wise passes it replaces; columns cnt..n of both rows become 0. Rows must have room
    /// for whole vectors up to n.
    /// </summary>
    private static void BackwardRow<T>(Span<T> pRow, Span<T> dsRow, int cnt, T scale, T lse, T delta) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ref T p = ref MemoryMarshal.GetReference(pRow);
        ref T g = ref MemoryMarshal.GetReference(dsRow);
        int n = pRow.Length, i = 0;
        T negDelta = -delta;
        if (Vector512.IsHardwareAccelerated && n % Vector512<T>.Count == 0)
        {
            var vs = Vector512.Create(scale);
            var vl = Vector512.Create(lse);
            var vd = Vector512.Create(negDelta);
            for (; i < cnt; i += Vector512<T>.Count)
            {
                var e = Exp512(Vector512.LoadUnsafe(ref p, (nuint)i) * vs - vl);
                var d = (Vector512.LoadUnsafe(ref g, (nuint)i) + vd) * e * vs;
                if (cnt - i < Vector512<T>.Count)
                {
                    var keep = Below512<T>(i, cnt);
                    e = Vector512.ConditionalSelect(keep, e, Vector512<T>.Zero);
                    d = Vector512.ConditionalSelect(keep, d, Vector512<T>.Zero);
                }
                e.StoreUnsafe(ref p, (nuint)i);
                d.StoreUnsafe(ref g, (nuint)i);
            }
            for (; i < n; i += Vector512<T>.Count)
            {
                Vector512<T>.Zero.StoreUnsafe(ref p, (nuint)i);
                Vector512<T>.Zero.StoreUnsafe(ref g, (nuint)i);
            }
            return;
        }
        if (Vector256.IsHardwareAccelerated && n % Vector256<T>.Count == 0)
        {
            var vs = Vector256.Create(scale);
            var vl = Vector256.Create(lse);
            var vd = Vector256.Create(negDelta);
            for (; i < cnt; i += Vector256<T>.Count)
            {
                var e = Exp256(Vector256.LoadUnsafe(ref p, (nuint)i) * vs - vl);
                var d = (Vector256.LoadUnsafe(ref g, (nuint)i) + vd) * e * vs;
                if (cnt - i < Vector256<T>.Count)
                {
                    var keep = Below256<T>(i, cnt);
                    e = Vector256.ConditionalSelect(keep, e, Vector256<T>.Zero);
                    d = Vector256.ConditionalSelect(keep, d, Vector256<T>.Zero);
                }
                e.StoreUnsafe(ref p, (nuint)i);
                d.StoreUnsafe(ref g, (nuint)i);
            }
            for (; i < n; i += Vector256<T>.Count)
            {
                Vector256<T>.Zero.StoreUnsafe(ref p, (nuint)i);
                Vector256<T>.Zero.StoreUnsafe(ref g, (nuint)i);
            }
            return;
        }
        for (; i < cnt; i++)
        {
            T e = VectorMath.Exp(Unsafe.Add(ref p, i) * scale - lse);
            Unsafe.Add(ref p, i) = e;
            Unsafe.Add(ref g, i) = (Unsafe.Add(ref g, i) + negDelta) * e * scale;
        }
        pRow[cnt..].Clear();
        dsRow[cnt..].Clear();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<T> Exp512<T>(Vector512<T> x) where T : unmanaged
    {
        if (typeof(T) == typeof(float)) return VectorMath.Exp(x.AsSingle()).As<float, T>();
        if (typeof(T) == typeof(double)) return Vector512.Exp(x.AsDouble()).As<double, T>();
        throw new NotSupportedException(typeof(T).Name);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<T> Exp256<T>(Vector256<T> x) where T : unmanaged
    {
        if (typeof(T) == typeof(float)) return VectorMath.Exp(x.AsSingle()).As<float, T>();
        if (typeof(T) == typeof(double)) return Vector256.Exp(x.AsDouble()).As<double, T>();
        throw new NotSupportedException(typeof(T).Name);
    }
}
