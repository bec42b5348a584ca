// CPU fused attention (FlashAttention-2 style): forward = online softmax over key blocks (scores for one row of
// one key block live at a time); backward = two deterministic passes that recompute P from the saved logsumexp.
using System.Numerics;
using System.Numerics.Tensors;

namespace PluginMoE.Tensors.Backends;

public sealed partial class CpuBackend
{
    /// <summary>A (B, H, N, D) operand whose rows (last dim) are contiguous; other strides are arbitrary.</summary>
    private readonly struct RowView<T>(Tensor t) where T : unmanaged
    {
        private readonly T[] _data = t.StorageAs<T>();
        private readonly int _offset = t.Offset, _s0 = t.Strides[0], _s1 = t.Strides[1], _s2 = t.Strides[2], _dim = t.Sizes[3];

        public ReadOnlySpan<T> Row(int b, int h, int i) => new(_data, _offset + b * _s0 + h * _s1 + i * _s2, _dim);
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

    // q: (B, Hq, T, D), k: (B, Hkv, S, D), v: (B, Hkv, S, Dv) -> o: (B, Hq, T, Dv), lse: (B, Hq, T).
    // Work unit = (b, h, query block); per unit: m, l (bs) and one score row (bs); o rows are the accumulators.
    private static void AttentionForward<T>(Tensor q, Tensor k, Tensor v, bool causal, T scale, int bs, Tensor o, Tensor lse)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int nb = q.Sizes[0], hq = q.Sizes[1], tq = q.Sizes[2], hkv = k.Sizes[1], s = k.Sizes[2], dv = v.Sizes[3];
        int group = hq / hkv, shift = s - tq, nqb = (tq + bs - 1) / bs;
        var Q = new RowView<T>(q);
        var K = new RowView<T>(k);
        var V = new RowView<T>(v);
        var O = o.StorageAs<T>();
        var L = lse.StorageAs<T>();
        ParallelFor.Run(nb * hq * nqb, 1, (u0, u1) =>
        {
            var m = new T[bs];     // running row max of the scaled scores
            var l = new T[bs];     // running row sum of exp(score - m)
            var row = new T[bs];   // one row of one key block: scores, then probabilities
            for (int u = u0; u < u1; u++)
            {
                int b = u / (hq * nqb), h = u / nqb % hq, qb = u % nqb, g = h / group;
                int i0 = qb * bs, i1 = Math.Min(tq, i0 + bs);
                int bh = b * hq + h;
                Array.Fill(m, T.NegativeInfinity);
                Array.Clear(l);
                O.AsSpan(bh * tq * dv + i0 * dv, (i1 - i0) * dv).Clear();
                int jEnd = causal ? Math.Min(s, i1 + shift) : s; // keys visible to the block's last row
                for (int j0 = 0; j0 < jEnd; j0 += bs)
                {
                    int j1 = Math.Min(jEnd, j0 + bs);
                    for (int i = i0; i < i1; i++)
                    {
                        int cnt = (causal ? Math.Min(j1, i + shift + 1) : j1) - j0;
                        if (cnt <= 0) continue;
                        var qi = Q.Row(b, h, i);
                        var sc = row.AsSpan(0, cnt);
                        DotRows(qi, K, b, g, j0, sc);
                        TensorPrimitives.Multiply(sc, scale, sc);
                        int r = i - i0;
                        T mNew = T.Max(m[r], TensorPrimitives.Max<T>(sc));
                        T corr = T.Exp(m[r] - mNew); // 0 on the first block (m = -inf)
                        TensorPrimitives.Subtract(sc, mNew, sc);
                        TensorPrimitives.Exp<T>(sc, sc);
                        l[r] = l[r] * corr + TensorPrimitives.Sum<T>(sc);
                        m[r] = mNew;
                        var acc = O.AsSpan((bh * tq + i) * dv, dv);
                        if (corr != T.One) TensorPrimitives.Multiply(acc, corr, acc);
                        AxpyRows(acc, sc, V, b, g, j0);
                    }
                }
                for (int i = i0; i < i1; i++)
                {
                    int r = i - i0;
                    var acc = O.AsSpan((bh * tq + i) * dv, dv);
                    TensorPrimitives.Multiply(acc, T.One / l[r], acc);
                    L[bh * tq + i] = m[r] + T.Log(l[r]);
                }
            }
        });
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
    // delta (B, Hq, T) = rowsum(dout * output). Pass 1 owns (b, kv head, key block) and writes dK, dV;
    // pass 2 owns (b, head, query block) and writes dQ. Both recompute P = exp(scale * q.k - lse).
    private static void AttentionBackward<T>(Tensor dout, Tensor q, Tensor k, Tensor v, Tensor output, Tensor lse, bool causal, T scale, int bs,
        Tensor dq, Tensor dk, Tensor dv) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int nb = q.Sizes[0], hq = q.Sizes[1], tq = q.Sizes[2], d = q.Sizes[3], hkv = k.Sizes[1], s = k.Sizes[2], dvDim = v.Sizes[3];
        int group = hq / hkv, shift = s - tq, nqb = (tq + bs - 1) / bs, nkb = (s + bs - 1) / bs;
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

        // P and dS for query row i against keys j0 .. j0 + cnt - 1 (p: probabilities, ds: scale * dS).
        void Recompute(int b, int h, int g, int i, int j0, Span<T> p, Span<T> ds)
        {
            var qi = Q.Row(b, h, i);
            var doi = DO.Row(b, h, i);
            int r = (b * hq + h) * tq + i;
            DotRows(qi, K, b, g, j0, p);
            DotRows(doi, V, b, g, j0, ds);
            TensorPrimitives.Multiply(p, scale, p);
            TensorPrimitives.Subtract(p, L[lo + r], p);
            TensorPrimitives.Exp<T>(p, p);
            TensorPrimitives.Subtract(ds, delta[r], ds);
            TensorPrimitives.Multiply(ds, p, ds);
            TensorPrimitives.Multiply(ds, scale, ds);
        }

        // Pass 1: dK_j = sum_h sum_i dS_ij q_i, dV_j = sum_h sum_i P_ij dO_i (heads, then rows, in increasing order).
        // Per (query block, key block) tile, P^T and dS^T (bs x bs) are stored so that each key row is updated
        // with one blocked axpy over the tile's query rows.
        ParallelFor.Run(nb * hkv * nkb, 1, (u0, u1) =>
        {
            var p = new T[bs];
            var ds = new T[bs];
            var pT = new T[bs * bs];  // (keys, queries) tile of P
            var dsT = new T[bs * bs]; // (keys, queries) tile of scale * dS
            for (int u = u0; u < u1; u++)
            {
                int b = u / (hkv * nkb), g = u / nkb % hkv, kb = u % nkb;
                int j0 = kb * bs, j1 = Math.Min(s, j0 + bs), nk = j1 - j0;
                int kvRow = (b * hkv + g) * s;
                int iStart = causal ? Math.Max(0, j0 - shift) : 0;
                for (int h = g * group; h < (g + 1) * group; h++)
                {
                    for (int i0 = iStart; i0 < tq; i0 += bs)
                    {
                        int nq = Math.Min(tq, i0 + bs) - i0;
                        for (int r = 0; r < nq; r++)
                        {
                            int i = i0 + r;
                            int cnt = Math.Max(0, (causal ? Math.Min(j1, i + shift + 1) : j1) - j0);
                            if (cnt > 0) Recompute(b, h, g, i, j0, p.AsSpan(0, cnt), ds.AsSpan(0, cnt));
                            for (int c = 0; c < nk; c++)
                            {
                                pT[c * bs + r] = c < cnt ? p[c] : T.Zero;
                                dsT[c * bs + r] = c < cnt ? ds[c] : T.Zero;
                            }
                        }
                        for (int c = 0; c < nk; c++)
                        {
                            AxpyRows(DV.AsSpan((kvRow + j0 + c) * dvDim, dvDim), pT.AsSpan(c * bs, nq), DO, b, h, i0);
                            AxpyRows(DK.AsSpan((kvRow + j0 + c) * d, d), dsT.AsSpan(c * bs, nq), Q, b, h, i0);
                        }
                    }
                }
            }
        });

        // Pass 2: dQ_i = sum_j dS_ij k_j (key blocks, then keys, in increasing order).
        ParallelFor.Run(nb * hq * nqb, 1, (u0, u1) =>
        {
            var p = new T[bs];
            var ds = new T[bs];
            for (int u = u0; u < u1; u++)
            {
                int b = u / (hq * nqb), h = u / nqb % hq, qb = u % nqb, g = h / group;
                int i0 = qb * bs, i1 = Math.Min(tq, i0 + bs);
                int jEnd = causal ? Math.Min(s, i1 + shift) : s;
                for (int j0 = 0; j0 < jEnd; j0 += bs)
                {
                    int j1 = Math.Min(jEnd, j0 + bs);
                    for (int i = i0; i < i1; i++)
                    {
                        int cnt = (causal ? Math.Min(j1, i + shift + 1) : j1) - j0;
                        if (cnt <= 0) continue;
                        Recompute(b, h, g, i, j0, p.AsSpan(0, cnt), ds.AsSpan(0, cnt));
                        var dqRow = DQ.AsSpan(((b * hq + h) * tq + i) * d, d);
                        AxpyRows(dqRow, ds.AsSpan(0, cnt), K, b, g, j0);
                    }
                }
            }
        });
    }
}
