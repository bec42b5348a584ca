// CPU grouped SwiGLU expert MLP (IBackend.GroupedSwiGluFfn): every expert's rows are cut into blocks of a fixed number of
// rows, and each block runs gate/up GEMM, SwiGLU and down GEMM (backward: the same recomputed, then dA, dgate/dup, dx and
// the three weight-gradient GEMMs) on thread-local buffers that stay in cache, one block per work item. The hidden
// activations (R, H), 4x the rows of a top-2 layer at MH-MoE's sub-token width, never go to memory and are not saved
// for backward. Every weight operand is packed for the GEMM micro-kernel once per op and expert (not once per block of
// rows: at MH-MoE's widths that repacking was about a third of the kernel's GEMM time). Weight gradients are summed over fixed super-blocks of rows in a fixed order, so results do not depend
// on the thread count.
using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.InteropServices;

namespace PluginMoE.Tensors.Backends;

public sealed partial class CpuBackend
{
    /// <summary>Bytes of one hidden-activation buffer of a block (the backward keeps three, the forward two).</summary>
    private const int FfnBlockBytes = 192 * 1024;

    /// <summary>Rows per backward work item: its weight-gradient partial is summed with the others of its expert.</summary>
    private const int FfnItemRows = 512;

    /// <summary>Rows per block for hidden width <paramref name="h"/>: a multiple of the 12-row register tile, 12 to 384.</summary>
    internal static int FfnBlockRows(int h, int elementSize) => Math.Clamp(FfnBlockBytes / elementSize / Math.Max(h, 1) / 12 * 12, 12, 384);

    private static class FfnScratch<T> where T : unmanaged
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
    public Tensor GroupedSwiGluFfn(Tensor x, IReadOnlyList<Tensor> gate, IReadOnlyList<Tensor> up, IReadOnlyList<Tensor> down, IReadOnlyList<int> starts)
    {
        ArgumentNullException.ThrowIfNull(x);
        RequireFloat(x, "grouped_swiglu_ffn");
        var y = Tensor.Empty(x.dtype, [x.Sizes[0], x.Sizes[1]]);
        if (x.dtype == ScalarType.Float32) FfnForward<float>(x, gate, up, down, starts, y);
        else FfnForward<double>(x, gate, up, down, starts, y);
        return y;
    }

    /// <inheritdoc/>
    public (Tensor Input, Tensor?[] Gate, Tensor?[] Up, Tensor?[] Down) GroupedSwiGluFfnBackward(
        Tensor grad, Tensor x, IReadOnlyList<Tensor> gate, IReadOnlyList<Tensor> up, IReadOnlyList<Tensor> down, IReadOnlyList<int> starts)
    {
        ArgumentNullException.ThrowIfNull(grad);
        ArgumentNullException.ThrowIfNull(x);
        RequireFloat(x, "grouped_swiglu_ffn backward");
        return x.dtype == ScalarType.Float32
            ? FfnBackward<float>(grad, x, gate, up, down, starts)
            : FfnBackward<double>(grad, x, gate, up, down, starts);
    }

    /// <summary>A row block [Start, End) of expert <c>Expert</c>; <c>Slot</c> is its weight-gradient partial (backward).</summary>
    private readonly record struct FfnItem(int Expert, int Start, int End, int Slot);

    /// <summary>Pins every distinct storage once and hands out element addresses.</summary>
    private sealed class Pins : IDisposable
    {
        private readonly Dictionary<object, (GCHandle Handle, nint Address)> _pins = new(ReferenceEqualityComparer.Instance);

        public unsafe nint Address<T>(Tensor t) where T : unmanaged
        {
            var arr = t.StorageAs<T>();
            if (!_pins.TryGetValue(arr, out var p))
            {
                var h = GCHandle.Alloc(arr, GCHandleType.Pinned);
                p = (h, h.AddrOfPinnedObject());
                _pins[arr] = p;
            }
            return p.Address + (nint)t.Offset * sizeof(T);
        }

        public void Dispose()
        {
            foreach (var (h, _) in _pins.Values) h.Free();
        }
    }

    /// <summary>
    /// Whether the row blocks of one op reuse weight operands packed once per expert (default) rather than packing the
    /// whole weight again for every block of rows (tests compare both: the results are bitwise equal).
    /// </summary>
    internal static bool FfnPrepackWeights { get; set; } = true;

    /// <summary>
    /// Whether an expert with <paramref name="rows"/> rows has its weights packed once for all its blocks: only when it has
    /// more than one block of <paramref name="rb"/> rows (one block packs once either way) and a full block takes the
    /// packed path (small products, as in KV-cache decode, take the direct path and pack nothing).
    /// </summary>
    private static bool FfnPrepack(int rows, int rb, int h, int d) =>
        rows > rb && rb >= 4 && h >= 4 && d >= 4 && (long)rb * h * d > DirectMaxFlops;

    /// <summary>A weight operand of the block GEMMs: (K, N) with strides (rsb, csb) at <c>Address</c>.</summary>
    private readonly record struct FfnOperand(nint Address, int K, int N, nint Rsb, nint Csb);

    /// <summary>Elements of <paramref name="op"/> packed whole: every (jc, pc) panel of the Goto loops, kc x roundup(nc, nr).</summary>
    private static long FfnPackedLength<T>(FfnOperand op, GemmPath path, GemmBlocks blocks) where T : unmanaged
    {
        var (_, nr, _, _, _) = GemmBlocking<T>(path, blocks);
        return (long)op.K * ((op.N + nr - 1) / nr * nr); // nc blocks are multiples of nr: the panels add up to this
    }

    /// <summary>Packs all of <paramref name="op"/> as the Goto loops would, panel after panel in their (jc, pc) order.</summary>
    private static unsafe void FfnPackWhole<T>(FfnOperand op, T* dst, GemmPath path, GemmBlocks blocks) where T : unmanaged
    {
        var (_, nr, _, KC, NC) = GemmBlocking<T>(path, blocks);
        T* b = (T*)op.Address;
        for (int jc = 0; jc < op.N; jc += NC)
        {
            int nc = Math.Min(NC, op.N - jc);
            for (int pc = 0; pc < op.K; pc += KC)
            {
                int kc = Math.Min(KC, op.K - pc);
                PackB(kc, nc, b + pc * op.Rsb + jc * op.Csb, op.Rsb, op.Csb, dst, nr);
                dst += (nint)kc * ((nc + nr - 1) / nr * nr);
            }
        }
    }

    /// <summary>
    /// Packs the operands (one job each, on the worker team) into one pooled buffer; returns it (release it after use)
    /// and each operand's packed address (0 where it is not packed: the portable path).
    /// </summary>
    private static unsafe (Tensor? Buffer, nint[] Packed) FfnPackAll<T>(IReadOnlyList<FfnOperand?> ops, ScalarType dtype, GemmPath path, GemmBlocks blocks, Pins pins)
        where T : unmanaged
    {
        var packed = new nint[ops.Count];
        if (!FfnPrepackWeights || path == GemmPath.Portable) return (null, packed);
        var offsets = new long[ops.Count];
        long total = 0;
        for (int i = 0; i < ops.Count; i++)
        {
            offsets[i] = total;
            if (ops[i] is { } op) total += FfnPackedLength<T>(op, path, blocks);
        }
        if (total == 0 || total > int.MaxValue) return (null, packed);
        var buffer = Tensor.Empty(dtype, [(int)total]);
        nint pb = pins.Address<T>(buffer);
        for (int i = 0; i < ops.Count; i++)
            if (ops[i] is not null) packed[i] = pb + (nint)offsets[i] * sizeof(T);
        ParallelFor.Run(ops.Count, 1, (i0, i1) =>
        {
            for (int i = i0; i < i1; i++)
                if (ops[i] is { } op) FfnPackWhole(op, (T*)packed[i], path, blocks);
        });
        return (buffer, packed);
    }

    /// <summary>
    /// One block GEMM on one thread: <see cref="GemmOne"/>'s own choice of path, but the packed path reads B from
    /// <paramref name="packedB"/> (B as <see cref="FfnPackWhole"/> packed it) instead of packing it again; the same
    /// panels and loops, so the same result bit for bit.
    /// </summary>
    private static unsafe void FfnGemm<T>(in GemmArgs<T> g, nint packedB, GemmPath path, GemmBlocks blocks) where T : unmanaged, IFloatingPointIeee754<T>
    {
        bool direct = packedB == 0 || g.K == 0 || T.IsZero(g.Alpha) || path == GemmPath.Portable || g.M < 4 || g.N < 4 || (long)g.M * g.N * g.K <= DirectMaxFlops;
        if (direct)
        {
            GemmOne(g, path, parallel: false);
            return;
        }
        var (mr, nr, MC, KC, NC) = GemmBlocking<T>(path, blocks);
        int mcMax = Math.Min(MC, (g.M + mr - 1) / mr * mr);
        int kcMax = Math.Min(KC, g.K);
        var buf = GemmBuffers.ForThisThread;
        T* ap = (T*)buf.PackA(mcMax * kcMax * sizeof(T));
        T* tmp = (T*)buf.Tile(mr * nr * sizeof(T));
        T* A = (T*)g.A, C = (T*)g.C, bp = (T*)packedB;
        var finalMode = MergeMode(g.Alpha, g.Beta);
        var accMode = MergeMode(g.Alpha, T.One);
        bool unitCol = g.Csc == 1;
        for (int jc = 0; jc < g.N; jc += NC)
        {
            int nc = Math.Min(NC, g.N - jc);
            for (int pc = 0; pc < g.K; pc += KC)
            {
                int kc = Math.Min(KC, g.K - pc);
                var mode = pc == 0 ? finalMode : accMode;
                T beta = pc == 0 ? g.Beta : T.One;
                for (int ic = 0; ic < g.M; ic += MC)
                {
                    int mc = Math.Min(MC, g.M - ic);
                    PackA(mc, kc, A + ic * g.Rsa + pc * g.Csa, g.Rsa, g.Csa, ap, mr);
                    for (int jr = 0; jr < nc; jr += nr)
                    {
                        int nrr = Math.Min(nr, nc - jr);
                        T* bpanel = bp + (nint)jr * kc;
                        for (int ir = 0; ir < mc; ir += mr)
                        {
                            int mrr = Math.Min(mr, mc - ir);
                            T* apanel = ap + (nint)ir * kc;
                            T* cTile = C + (ic + ir) * g.Rsc + (jc + jr) * g.Csc;
                            if (mrr == mr && nrr == nr && unitCol)
                            {
                                if (path == GemmPath.Avx512) Micro512(kc, apanel, bpanel, cTile, g.Rsc, g.Alpha, beta, mode);
                                else Micro256(kc, apanel, bpanel, cTile, g.Rsc, g.Alpha, beta, mode);
                            }
                            else
                            {
                                if (path == GemmPath.Avx512) Micro512(kc, apanel, bpanel, tmp, nr, g.Alpha, beta, GemmMerge.Store);
                                else Micro256(kc, apanel, bpanel, tmp, nr, g.Alpha, beta, GemmMerge.Store);
                                for (int i = 0; i < mrr; i++)
                                    for (int j = 0; j < nrr; j++)
                                    {
                                        T* e = cTile + i * g.Rsc + j * g.Csc;
                                        *e = MergeScalar(tmp[i * nr + j], *e, g.Alpha, beta, mode);
                                    }
                            }
                        }
                    }
                }
                bp += (nint)kc * ((nc + nr - 1) / nr * nr);
            }
        }
    }

    /// <summary>
    /// One product on this thread, as <see cref="GemmOne"/> with <c>parallel: false</c> computes it (the same path, blocks
    /// and loops, so the same result bit for bit), but called straight: no work-split closure per call (the backward's
    /// weight-gradient GEMMs run three per block of rows, thousands per training step at MH-MoE's widths).
    /// </summary>
    private static unsafe void FfnGemmSerial<T>(in GemmArgs<T> g, GemmPath path, GemmBlocks blocks) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (g.K == 0 || T.IsZero(g.Alpha)) GemmOne(g, path, parallel: false);
        else if (path == GemmPath.Portable || g.M < 4 || g.N < 4 || (long)g.M * g.N * g.K <= DirectMaxFlops) DirectBlock(g, 0, g.M, 0, g.N);
        else Goto(g, path, blocks);
    }

    /// <summary>Runs <paramref name="run"/> on every item, largest first, taken dynamically by the threads.</summary>
    private static void RunFfnItems(List<FfnItem> items, Action<FfnItem> run)
    {
        int threads = Math.Min(ParallelFor.Threads, items.Count);
        if (threads <= 1)
        {
            foreach (var it in items) run(it);
            return;
        }
        var order = items.OrderByDescending(it => it.End - it.Start).ToArray();
        int next = -1;
        // Every output element (and every partial) is written by exactly one item: the order does not change results.
        ParallelFor.Run(threads, 1, (_, _) =>
        {
            int j;
            while ((j = Interlocked.Increment(ref next)) < order.Length) run(order[j]);
        });
    }

    private static unsafe void FfnForward<T>(Tensor x, IReadOnlyList<Tensor> gate, IReadOnlyList<Tensor> up, IReadOnlyList<Tensor> down, IReadOnlyList<int> starts, Tensor y)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var path = ActiveGemmPath;
        int d = x.Sizes[1], h = gate[0].Sizes[0], sz = sizeof(T);
        int rb = FfnBlockRows(h, sz);
        var items = new List<FfnItem>();
        for (int e = 0; e < gate.Count; e++)
            for (int r = starts[e]; r < starts[e + 1]; r += rb) items.Add(new FfnItem(e, r, Math.Min(r + rb, starts[e + 1]), -1));
        if (items.Count == 0) return;
        using var pins = new Pins();
        nint px = pins.Address<T>(x), py = pins.Address<T>(y);
        var pg = gate.Select(pins.Address<T>).ToArray();
        var pu = up.Select(pins.Address<T>).ToArray();
        var pd = down.Select(pins.Address<T>).ToArray();
        int xs0 = x.Strides[0], xs1 = x.Strides[1];
        T one = T.One, zero = T.Zero;
        // Each used expert's Wg^T, Wu^T (d, h) and Wd^T (h, d), packed once for all its row blocks.
        var blocks = ActiveGemmBlocks;
        int ex = gate.Count;
        var ops = new FfnOperand?[3 * ex];
        for (int e = 0; e < ex; e++)
        {
            if (!FfnPrepack(starts[e + 1] - starts[e], rb, h, d)) continue;
            ops[e] = new FfnOperand(pg[e], d, h, gate[e].Strides[1], gate[e].Strides[0]);
            ops[ex + e] = new FfnOperand(pu[e], d, h, up[e].Strides[1], up[e].Strides[0]);
            ops[2 * ex + e] = new FfnOperand(pd[e], h, d, down[e].Strides[1], down[e].Strides[0]);
        }
        var (packBuffer, packed) = FfnPackAll<T>(ops, x.dtype, path, blocks, pins);
        RunFfnItems(items, it =>
        {
            int m = it.End - it.Start;
            var scratch = FfnScratch<T>.Get(2 * rb * h);
            fixed (T* buf = scratch)
            {
                nint G = (nint)buf, U = (nint)(buf + rb * h);
                nint xr = px + (nint)it.Start * xs0 * sz;
                Tensor wg = gate[it.Expert], wu = up[it.Expert], wd = down[it.Expert];
                // G = x Wg^T, U = x Wu^T: (m, d) @ (d, h)
                FfnGemm(new GemmArgs<T>(m, h, d, one, zero, xr, xs0, xs1, pg[it.Expert], wg.Strides[1], wg.Strides[0], G, h, 1), packed[it.Expert], path, blocks);
                FfnGemm(new GemmArgs<T>(m, h, d, one, zero, xr, xs0, xs1, pu[it.Expert], wu.Strides[1], wu.Strides[0], U, h, 1), packed[ex + it.Expert], path, blocks);
                SwiGluInPlace((T*)G, (T*)U, m * h);
                // y = A Wd^T: (m, h) @ (h, d)
                FfnGemm(new GemmArgs<T>(m, d, h, one, zero, G, h, 1, pd[it.Expert], wd.Strides[1], wd.Strides[0], py + (nint)it.Start * d * sz, d, 1), packed[2 * ex + it.Expert], path, blocks);
            }
        });
        packBuffer?.Storage.Release(); // scratch: back to the pool now
    }

    /// <summary>g = silu(g) * u over n elements, as (sigmoid(g) g) u.</summary>
    private static unsafe void SwiGluInPlace<T>(T* g, T* u, int n) where T : unmanaged, IFloatingPointIeee754<T>
    {
        Span<T> t = stackalloc T[SwiGluBlock];
        for (int b = 0; b < n; b += SwiGluBlock)
        {
            int c = Math.Min(SwiGluBlock, n - b);
            var gs = new Span<T>(g + b, c);
            var tt = t[..c];
            VectorMath.Sigmoid<T>(gs, tt);
            TensorPrimitives.Multiply(tt, gs, tt);
            TensorPrimitives.Multiply(tt, new ReadOnlySpan<T>(u + b, c), gs);
        }
    }

    /// <summary>
    /// From g, u and dA (n elements each): g := dgate, u := dup, da := A = silu(g) u, with the formulas (and the
    /// operation order) of <see cref="SwiGluBackward"/> and <see cref="SwiGlu"/>.
    /// </summary>
    private static unsafe void SwiGluBackwardInPlace<T>(T* g, T* u, T* da, int n) where T : unmanaged, IFloatingPointIeee754<T>
    {
        Span<T> sig = stackalloc T[SwiGluBlock];
        Span<T> t = stackalloc T[SwiGluBlock];
        Span<T> a = stackalloc T[SwiGluBlock];
        Span<T> dup = stackalloc T[SwiGluBlock];
        T one = T.One;
        for (int b = 0; b < n; b += SwiGluBlock)
        {
            int c = Math.Min(SwiGluBlock, n - b);
            var gs = new Span<T>(g + b, c);
            var us = new Span<T>(u + b, c);
            var gr = new Span<T>(da + b, c);
            var sg = sig[..c];
            var tt = t[..c];
            var aa = a[..c];
            var du = dup[..c];
            VectorMath.Sigmoid<T>(gs, sg);             // s
            TensorPrimitives.Multiply(sg, gs, tt);     // silu = s g
            TensorPrimitives.Multiply(tt, us, aa);     // A = silu u
            TensorPrimitives.Multiply(gr, tt, du);     // dup = grad silu
            TensorPrimitives.Subtract(gs, tt, tt);     // g (1 - s)
            TensorPrimitives.Add(tt, one, tt);         // 1 + g (1 - s)
            TensorPrimitives.Multiply(tt, sg, tt);     // silu'(g)
            TensorPrimitives.Multiply(gr, us, gs);     // grad up -> g
            TensorPrimitives.Multiply(gs, tt, gs);     // dgate
            du.CopyTo(us);
            aa.CopyTo(gr);
        }
    }

    private static unsafe (Tensor, Tensor?[], Tensor?[], Tensor?[]) FfnBackward<T>(
        Tensor grad, Tensor x, IReadOnlyList<Tensor> gate, IReadOnlyList<Tensor> up, IReadOnlyList<Tensor> down, IReadOnlyList<int> starts)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var path = ActiveGemmPath;
        int experts = gate.Count, d = x.Sizes[1], h = gate[0].Sizes[0], sz = sizeof(T), hd = h * d;
        int rb = FfnBlockRows(h, sz);
        var dx = Tensor.Empty(x.dtype, [x.Sizes[0], d]);
        var dGate = new Tensor?[experts];
        var dUp = new Tensor?[experts];
        var dDown = new Tensor?[experts];
        // Items of FfnItemRows rows (a fixed cut, whatever the thread count); an expert's first item writes its
        // gradients, every further one a partial slot that is added afterwards in item order.
        var items = new List<FfnItem>();
        var extra = new List<FfnItem>();
        int slots = 0;
        for (int e = 0; e < experts; e++)
        {
            if (starts[e + 1] == starts[e]) continue;
            dGate[e] = Tensor.Empty(x.dtype, [h, d]);
            dUp[e] = Tensor.Empty(x.dtype, [h, d]);
            dDown[e] = Tensor.Empty(x.dtype, [d, h]);
            for (int r = starts[e]; r < starts[e + 1]; r += FfnItemRows)
            {
                var it = new FfnItem(e, r, Math.Min(r + FfnItemRows, starts[e + 1]), r == starts[e] ? -1 : slots++);
                items.Add(it);
                if (it.Slot >= 0) extra.Add(it);
            }
        }
        if (items.Count == 0) return (dx, dGate, dUp, dDown);
        // One pooled buffer per partial, all of one size: the pool reuses them whatever the routing (one buffer of
        // slots x 3hd changed size class whenever an expert's row count crossed a 512-row item: about 24 MB fresh each
        // time at the small model's MH-MoE widths).
        var partials = new Tensor[slots];
        for (int i = 0; i < slots; i++) partials[i] = Tensor.Empty(x.dtype, [3 * hd]);
        using (var pins = new Pins())
        {
            nint px = pins.Address<T>(x), pgr = pins.Address<T>(grad), pdx = pins.Address<T>(dx);
            var pp = new nint[slots];
            for (int i = 0; i < slots; i++) pp[i] = pins.Address<T>(partials[i]);
            var pg = gate.Select(pins.Address<T>).ToArray();
            var pu = up.Select(pins.Address<T>).ToArray();
            var pd = down.Select(pins.Address<T>).ToArray();
            var pdg = dGate.Select(t => t is null ? 0 : pins.Address<T>(t)).ToArray();
            var pdu = dUp.Select(t => t is null ? 0 : pins.Address<T>(t)).ToArray();
            var pdd = dDown.Select(t => t is null ? 0 : pins.Address<T>(t)).ToArray();
            int xs0 = x.Strides[0], xs1 = x.Strides[1], gs0 = grad.Strides[0], gs1 = grad.Strides[1];
            T one = T.One, zero = T.Zero;
            // Each used expert's weight operands, packed once for all its row blocks: Wg^T, Wu^T (d, h) for the
            // recomputation, Wd (d, h) for dA, Wg, Wu (h, d) for dx.
            var blocks = ActiveGemmBlocks;
            var ops = new FfnOperand?[5 * experts];
            for (int e = 0; e < experts; e++)
            {
                if (!FfnPrepack(starts[e + 1] - starts[e], rb, h, d)) continue;
                Tensor wg = gate[e], wu = up[e], wd = down[e];
                ops[e] = new FfnOperand(pg[e], d, h, wg.Strides[1], wg.Strides[0]);
                ops[experts + e] = new FfnOperand(pu[e], d, h, wu.Strides[1], wu.Strides[0]);
                ops[2 * experts + e] = new FfnOperand(pd[e], d, h, wd.Strides[0], wd.Strides[1]);
                ops[3 * experts + e] = new FfnOperand(pg[e], h, d, wg.Strides[0], wg.Strides[1]);
                ops[4 * experts + e] = new FfnOperand(pu[e], h, d, wu.Strides[0], wu.Strides[1]);
            }
            var (packBuffer, packed) = FfnPackAll<T>(ops, x.dtype, path, blocks, pins);
            RunFfnItems(items, it =>
            {
                int e = it.Expert;
                Tensor wg = gate[e], wu = up[e], wd = down[e];
                nint oDg = it.Slot < 0 ? pdg[e] : pp[it.Slot];
                nint oDu = it.Slot < 0 ? pdu[e] : oDg + (nint)hd * sz;
                nint oDd = it.Slot < 0 ? pdd[e] : oDg + (nint)2 * hd * sz;
                var scratch = FfnScratch<T>.Get(3 * rb * h);
                fixed (T* buf = scratch)
                {
                    nint G = (nint)buf, U = (nint)(buf + rb * h), DA = (nint)(buf + 2 * rb * h);
                    for (int r = it.Start; r < it.End; r += rb)
                    {
                        int m = Math.Min(rb, it.End - r);
                        T beta = r == it.Start ? zero : one;
                        nint xr = px + (nint)r * xs0 * sz, gr = pgr + (nint)r * gs0 * sz;
                        FfnGemm(new GemmArgs<T>(m, h, d, one, zero, xr, xs0, xs1, pg[e], wg.Strides[1], wg.Strides[0], G, h, 1), packed[e], path, blocks);
                        FfnGemm(new GemmArgs<T>(m, h, d, one, zero, xr, xs0, xs1, pu[e], wu.Strides[1], wu.Strides[0], U, h, 1), packed[experts + e], path, blocks);
                        // dA = dy Wd: (m, d) @ (d, h)
                        FfnGemm(new GemmArgs<T>(m, h, d, one, zero, gr, gs0, gs1, pd[e], wd.Strides[0], wd.Strides[1], DA, h, 1), packed[2 * experts + e], path, blocks);
                        SwiGluBackwardInPlace((T*)G, (T*)U, (T*)DA, m * h);  // G = dgate, U = dup, DA = A
                        // dx = dgate Wg + dup Wu: (m, h) @ (h, d)
                        nint dxr = pdx + (nint)r * d * sz;
                        FfnGemm(new GemmArgs<T>(m, d, h, one, zero, G, h, 1, pg[e], wg.Strides[0], wg.Strides[1], dxr, d, 1), packed[3 * experts + e], path, blocks);
                        FfnGemm(new GemmArgs<T>(m, d, h, one, one, U, h, 1, pu[e], wu.Strides[0], wu.Strides[1], dxr, d, 1), packed[4 * experts + e], path, blocks);
                        // dWg += dgate^T x, dWu += dup^T x: (h, m) @ (m, d); dWd += dy^T A: (d, m) @ (m, h)
                        FfnGemmSerial(new GemmArgs<T>(h, d, m, one, beta, G, 1, h, xr, xs0, xs1, oDg, d, 1), path, blocks);
                        FfnGemmSerial(new GemmArgs<T>(h, d, m, one, beta, U, 1, h, xr, xs0, xs1, oDu, d, 1), path, blocks);
                        FfnGemmSerial(new GemmArgs<T>(d, h, m, one, beta, gr, gs1, gs0, DA, h, 1, oDd, h, 1), path, blocks);
                    }
                }
            });
            packBuffer?.Storage.Release(); // scratch: back to the pool now
        }
        if (slots > 0)
        {
            // Sum the partials into their expert's gradients in item order (fixed: independent of the threads).
            foreach (var it in extra)
            {
                var part = partials[it.Slot];
                var P = part.StorageAs<T>();
                int at = part.Offset;
                TensorPrimitives.Add(dGate[it.Expert]!.StorageAs<T>().AsSpan(dGate[it.Expert]!.Offset, hd), new ReadOnlySpan<T>(P, at, hd), dGate[it.Expert]!.StorageAs<T>().AsSpan(dGate[it.Expert]!.Offset, hd));
                TensorPrimitives.Add(dUp[it.Expert]!.StorageAs<T>().AsSpan(dUp[it.Expert]!.Offset, hd), new ReadOnlySpan<T>(P, at + hd, hd), dUp[it.Expert]!.StorageAs<T>().AsSpan(dUp[it.Expert]!.Offset, hd));
                TensorPrimitives.Add(dDown[it.Expert]!.StorageAs<T>().AsSpan(dDown[it.Expert]!.Offset, hd), new ReadOnlySpan<T>(P, at + 2 * hd, hd), dDown[it.Expert]!.StorageAs<T>().AsSpan(dDown[it.Expert]!.Offset, hd));
                part.Storage.Release(); // scratch: back to the pool now
            }
        }
        return (dx, dGate, dUp, dDown);
    }
}
