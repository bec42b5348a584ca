// CPU SwiGLU expert sum over explicit token slots (IBackend.SwiGluExpertSum), the decode path of a MoE layer: each chosen
// expert's weights are read once, in row blocks split over the threads. Pass 1 computes, per block of gate/up rows, both
// matrix-vector products for every slot of the expert (four rows per pass over x, as the one-row GEMM does) and applies
// the SwiGLU into the slot's hidden row; pass 2 computes, per block of down rows, every slot's products and adds
// w * product to the output row in place. No sort, gather, grouped-GEMM dispatch or scatter-add, no (R, H) temporaries.
using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace PluginMoE.Tensors.Backends;

public sealed partial class CpuBackend
{
    /// <summary>Down-projection rows per work item of the expert-sum kernel (a multiple of four: the four-row dot products).</summary>
    private const int SlotRowBlock = 16;

    /// <summary>Gate/up rows per work item of the expert-sum kernel (a multiple of four; the SwiGLU runs once per block).</summary>
    private const int SlotHiddenBlock = 64;

    /// <summary>Least multiply-adds per thread of the expert-sum kernel: its passes are bound by the weights' memory traffic,
    /// so a second thread pays off far earlier than in a compute-bound GEMM.</summary>
    private const long SlotMinFlopsPerThread = 1L << 16;

    private static class SlotScratch<T> where T : unmanaged
    {
        [ThreadStatic] private static T[]? _buffer;

        public static T[] Get(int length)
        {
            var b = _buffer;
            if (b is null || b.Length < length) _buffer = b = new T[length];
            return b;
        }
    }

    /// <inheritdoc/>
    public Tensor SwiGluExpertSum(Tensor x, IReadOnlyList<int> tokens, IReadOnlyList<int> experts, IReadOnlyList<double> weights,
        IReadOnlyList<Tensor> gate, IReadOnlyList<Tensor> up, IReadOnlyList<Tensor> down, Tensor? addTo)
    {
        ArgumentNullException.ThrowIfNull(x);
        RequireFloat(x, "swiglu_expert_sum");
        int n = x.Sizes[0], d = x.Sizes[1];
        var y = Tensor.Empty(x.dtype, [n, d]);
        if (addTo is null) Fill(y, 0);
        else CopyInto(y, addTo);
        if (tokens.Count == 0 || d == 0) return y;
        if (x.Strides[1] != 1) x = Contiguous(x);
        var used = new bool[gate.Count];
        foreach (int e in experts) used[e] = true;
        Tensor RowMajor(Tensor w, int e) => used[e] && w.Strides[1] != 1 ? Contiguous(w) : w;
        var g = gate.Select(RowMajor).ToArray();
        var u = up.Select(RowMajor).ToArray();
        var dn = down.Select(RowMajor).ToArray();
        if (x.dtype == ScalarType.Float32) SlotSum<float>(x, tokens, experts, weights, g, u, dn, used, y);
        else SlotSum<double>(x, tokens, experts, weights, g, u, dn, used, y);
        return y;
    }

    private static unsafe void SlotSum<T>(Tensor x, IReadOnlyList<int> tokens, IReadOnlyList<int> experts, IReadOnlyList<double> weights,
        Tensor[] gate, Tensor[] up, Tensor[] down, bool[] used, Tensor y) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int d = x.Sizes[1], slots = tokens.Count, ne = gate.Length;
        // Slots by expert (experts ascending, slots of one expert in the order given): that is each row's summation order.
        var first = new int[ne + 1];
        foreach (int e in experts) first[e + 1]++;
        for (int e = 0; e < ne; e++) first[e + 1] += first[e];
        var order = new int[slots];
        var next = (int[])first.Clone();
        for (int s = 0; s < slots; s++) order[next[experts[s]]++] = s;
        var hidden = new int[slots]; // offset of each slot's hidden row in the scratch
        int total = 0;
        for (int s = 0; s < slots; s++)
        {
            hidden[s] = total;
            total += gate[experts[s]].Sizes[0];
        }
        var w = new T[slots];
        for (int s = 0; s < slots; s++) w[s] = T.CreateTruncating(weights[s]);

        // Pass 1 work: (expert, first row) blocks of gate/up rows, experts ascending.
        var items = new List<(int Expert, int Row)>();
        long flops1 = 0;
        for (int e = 0; e < ne; e++)
        {
            if (!used[e]) continue;
            int h = gate[e].Sizes[0];
            for (int r = 0; r < h; r += SlotHiddenBlock) items.Add((e, r));
            flops1 += 4L * h * d * (first[e + 1] - first[e]);
        }
        using var pins = new Pins();
        nint px = pins.Address<T>(x), py = pins.Address<T>(y);
        var pg = new nint[ne];
        var pu = new nint[ne];
        var pd = new nint[ne];
        for (int e = 0; e < ne; e++)
            if (used[e])
            {
                pg[e] = pins.Address<T>(gate[e]);
                pu[e] = pins.Address<T>(up[e]);
                pd[e] = pins.Address<T>(down[e]);
            }
        int xs = x.Strides[0], ys = y.Strides[0];
        var scratch = SlotScratch<T>.Get(total);
        fixed (T* hbuf = scratch)
        {
            nint ph = (nint)hbuf;
            int min1 = (int)Math.Clamp(SlotMinFlopsPerThread * items.Count / Math.Max(flops1, 1), 1, items.Count);
            ParallelFor.Run(items.Count, min1, (i0, i1) =>
            {
                Span<T> gv = stackalloc T[SlotHiddenBlock], uv = stackalloc T[SlotHiddenBlock], sv = stackalloc T[SlotHiddenBlock];
                for (int i = i0; i < i1; i++)
                {
                    var (e, r0) = items[i];
                    int m = Math.Min(SlotHiddenBlock, gate[e].Sizes[0] - r0);
                    nint gs = gate[e].Strides[0], us = up[e].Strides[0];
                    T* wg = (T*)pg[e] + r0 * gs, wu = (T*)pu[e] + r0 * us;
                    for (int o = first[e]; o < first[e + 1]; o++)
                    {
                        int s = order[o];
                        T* xr = (T*)px + (nint)tokens[s] * xs;
                        fixed (T* G = gv, U = uv)
                        {
                            int j = 0;
                            for (; j + 4 <= m; j += 4) GateUp4(xr, wg + j * gs, gs, wu + j * us, us, d, G + j, U + j);
                            for (; j < m; j++)
                            {
                                G[j] = Dot(xr, wg + j * gs, d);
                                U[j] = Dot(xr, wu + j * us, d);
                            }
                        }
                        // (sigmoid(g) * g) * u, the operations of the SwiGLU kernel in its order.
                        var sg = sv[..m];
                        VectorMath.Sigmoid<T>(gv[..m], sg);
                        TensorPrimitives.Multiply<T>(sg, gv[..m], sg);
                        TensorPrimitives.Multiply<T>(sg, uv[..m], new Span<T>((T*)ph + hidden[s] + r0, m));
                    }
                }
            });

            // Pass 2: blocks of output rows; per row, the experts ascending, y = y + w * (a . Wd row).
            int blocks = (d + SlotRowBlock - 1) / SlotRowBlock;
            long flops2 = 2L * d * total;
            int min2 = (int)Math.Clamp(SlotMinFlopsPerThread * blocks / Math.Max(flops2, 1), 1, blocks);
            ParallelFor.Run(blocks, min2, (b0, b1) =>
            {
                int i0 = b0 * SlotRowBlock, i1 = Math.Min(b1 * SlotRowBlock, d);
                for (int e = 0; e < ne; e++)
                {
                    if (!used[e]) continue;
                    int h = gate[e].Sizes[0];
                    nint ds = down[e].Strides[0];
                    T* wd = (T*)pd[e];
                    for (int o = first[e]; o < first[e + 1]; o++)
                    {
                        int s = order[o];
                        T* a = (T*)ph + hidden[s];
                        T* yr = (T*)py + (nint)tokens[s] * ys;
                        T ws = w[s];
                        int i = i0;
                        for (; i + 4 <= i1; i += 4)
                        {
                            Dot4(a, wd + i * ds, ds, h, out T o0, out T o1, out T o2, out T o3);
                            yr[i] += ws * o0;
                            yr[i + 1] += ws * o1;
                            yr[i + 2] += ws * o2;
                            yr[i + 3] += ws * o3;
                        }
                        for (; i < i1; i++) yr[i] += ws * Dot(a, wd + i * ds, h);
                    }
                }
            });
        }
    }

    /// <summary>
    /// Rows j..j+3 of gate (at <paramref name="g"/>, row stride <paramref name="gs"/>) and of up (at <paramref name="u"/>)
    /// dotted with x in one pass over x (eight weight streams across two pages), each row summed exactly as
    /// <see cref="Dot"/> and <see cref="Dot4"/> sum it (two accumulators, then the scalar tail), so the products are the
    /// one-row GEMM's bitwise; the next four rows of both are prefetched.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void GateUp4<T>(T* x, T* g, nint gs, T* u, nint us, int k, T* gOut, T* uOut) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int p = 0;
        T* g0 = g, g1 = g + gs, g2 = g + 2 * gs, g3 = g + 3 * gs;
        T* u0 = u, u1 = u + us, u2 = u + 2 * us, u3 = u + 3 * us;
        T dg0, dg1, dg2, dg3, du0, du1, du2, du3;
        dg0 = dg1 = dg2 = dg3 = du0 = du1 = du2 = du3 = T.Zero;
        if (Vector256.IsHardwareAccelerated)
        {
            int w = Vector256<T>.Count;
            Vector256<T> a0 = default, a1 = default, b0 = default, b1 = default, c0 = default, c1 = default, e0 = default, e1 = default;
            Vector256<T> f0 = default, f1 = default, h0 = default, h1 = default, i0 = default, i1 = default, l0 = default, l1 = default;
            nint ahead = 4 * gs, aheadU = 4 * us;
            for (; p + 2 * w <= k; p += 2 * w)
            {
                if (Sse.IsSupported && (p * sizeof(T) & 63) == 0) // one 64-byte line of each of the next four rows
                {
                    Sse.Prefetch0(g0 + ahead + p);
                    Sse.Prefetch0(g1 + ahead + p);
                    Sse.Prefetch0(g2 + ahead + p);
                    Sse.Prefetch0(g3 + ahead + p);
                    Sse.Prefetch0(u0 + aheadU + p);
                    Sse.Prefetch0(u1 + aheadU + p);
                    Sse.Prefetch0(u2 + aheadU + p);
                    Sse.Prefetch0(u3 + aheadU + p);
                }
                var xl = Vector256.Load(x + p);
                var xh = Vector256.Load(x + p + w);
                a0 = FmaV(xl, Vector256.Load(g0 + p), a0);
                a1 = FmaV(xh, Vector256.Load(g0 + p + w), a1);
                b0 = FmaV(xl, Vector256.Load(g1 + p), b0);
                b1 = FmaV(xh, Vector256.Load(g1 + p + w), b1);
                c0 = FmaV(xl, Vector256.Load(g2 + p), c0);
                c1 = FmaV(xh, Vector256.Load(g2 + p + w), c1);
                e0 = FmaV(xl, Vector256.Load(g3 + p), e0);
                e1 = FmaV(xh, Vector256.Load(g3 + p + w), e1);
                f0 = FmaV(xl, Vector256.Load(u0 + p), f0);
                f1 = FmaV(xh, Vector256.Load(u0 + p + w), f1);
                h0 = FmaV(xl, Vector256.Load(u1 + p), h0);
                h1 = FmaV(xh, Vector256.Load(u1 + p + w), h1);
                i0 = FmaV(xl, Vector256.Load(u2 + p), i0);
                i1 = FmaV(xh, Vector256.Load(u2 + p + w), i1);
                l0 = FmaV(xl, Vector256.Load(u3 + p), l0);
                l1 = FmaV(xh, Vector256.Load(u3 + p + w), l1);
            }
            dg0 = Vector256.Sum(a0 + a1);
            dg1 = Vector256.Sum(b0 + b1);
            dg2 = Vector256.Sum(c0 + c1);
            dg3 = Vector256.Sum(e0 + e1);
            du0 = Vector256.Sum(f0 + f1);
            du1 = Vector256.Sum(h0 + h1);
            du2 = Vector256.Sum(i0 + i1);
            du3 = Vector256.Sum(l0 + l1);
        }
        for (; p < k; p++)
        {
            dg0 = T.FusedMultiplyAdd(x[p], g0[p], dg0);
            dg1 = T.FusedMultiplyAdd(x[p], g1[p], dg1);
            dg2 = T.FusedMultiplyAdd(x[p], g2[p], dg2);
            dg3 = T.FusedMultiplyAdd(x[p], g3[p], dg3);
            du0 = T.FusedMultiplyAdd(x[p], u0[p], du0);
            du1 = T.FusedMultiplyAdd(x[p], u1[p], du1);
            du2 = T.FusedMultiplyAdd(x[p], u2[p], du2);
            du3 = T.FusedMultiplyAdd(x[p], u3[p], du3);
        }
        (gOut[0], gOut[1], gOut[2], gOut[3]) = (dg0, dg1, dg2, dg3);
        (uOut[0], uOut[1], uOut[2], uOut[3]) = (du0, du1, du2, du3);
    }
}
