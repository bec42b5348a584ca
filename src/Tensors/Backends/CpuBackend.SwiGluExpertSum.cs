// CPU SwiGLU expert sum over explicit token slots (IBackend.SwiGluExpertSum), the decode path of a MoE layer: each chosen
// expert's weights are read once, in row blocks split over the threads. Pass 1 computes, per block of gate/up rows, both
// matrix-vector products for every slot of the expert (four rows per pass over x, as the one-row GEMM does) and applies
// the SwiGLU into the slot's hidden row; pass 2 computes, per block of down rows, every slot's products and adds
// w * product to the output row in place. No sort, gather, grouped-GEMM dispatch or scatter-add, no (R, H) temporaries.
using System.Numerics;
using System.Numerics.Tensors;

namespace PluginMoE.Tensors.Backends;

public sealed partial class CpuBackend
{
    /// <summary>Weight rows per work item of the expert-sum kernel (a multiple of four: the four-row dot products).</summary>
    private const int SlotRowBlock = 16;

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
            for (int r = 0; r < h; r += SlotRowBlock) items.Add((e, r));
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
                Span<T> gv = stackalloc T[SlotRowBlock], uv = stackalloc T[SlotRowBlock], sv = stackalloc T[SlotRowBlock];
                for (int i = i0; i < i1; i++)
                {
                    var (e, r0) = items[i];
                    int m = Math.Min(SlotRowBlock, gate[e].Sizes[0] - r0);
                    nint gs = gate[e].Strides[0], us = up[e].Strides[0];
                    T* wg = (T*)pg[e] + r0 * gs, wu = (T*)pu[e] + r0 * us;
                    for (int o = first[e]; o < first[e + 1]; o++)
                    {
                        int s = order[o];
                        T* xr = (T*)px + (nint)tokens[s] * xs;
                        int j = 0;
                        for (; j + 4 <= m; j += 4)
                        {
                            Dot4(xr, wg + j * gs, gs, d, out gv[j], out gv[j + 1], out gv[j + 2], out gv[j + 3]);
                            Dot4(xr, wu + j * us, us, d, out uv[j], out uv[j + 1], out uv[j + 2], out uv[j + 3]);
                        }
                        for (; j < m; j++)
                        {
                            gv[j] = Dot(xr, wg + j * gs, d);
                            uv[j] = Dot(xr, wu + j * us, d);
                        }
                        // (sigmoid(g) * g) * u, the operations of the SwiGLU kernel in its order.
                        var sg = sv[..m];
                        TensorPrimitives.Sigmoid<T>(gv[..m], sg);
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
}
