// CPU grouped SwiGLU expert MLP (IBackend.GroupedSwiGluFfn): every expert's rows are cut into blocks of a fixed number of
// rows, and each block runs one gate-up GEMM against [Wg; Wu] (the rows packed once), SwiGLU on the two halves and the down
// GEMM (backward: the same recomputed, then dA, dgate/dup, dx = [dgate dup] [Wg; Wu] as one GEMM with K = 2H, and the
// weight gradients d[Wg; Wu] = [dgate dup]^T x and dWd as two GEMMs) on thread-local buffers that stay in cache, one block per work item. The hidden
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

    /// <summary>
    /// Packs all of <paramref name="op"/> in the layout <see cref="Goto{T}"/> reads a prepacked B from: K block after K
    /// block, block pc at pc times the padded width, its nr-column micro-panels side by side.
    /// </summary>
    private static unsafe void FfnPackWhole<T>(FfnOperand op, T* dst, GemmPath path, GemmBlocks blocks) where T : unmanaged
    {
        var (_, nr, _, KC, _) = GemmBlocking<T>(path, blocks);
        T* b = (T*)op.Address;
        nint paddedN = (op.N + nr - 1) / nr * nr;
        for (int pc = 0; pc < op.K; pc += KC)
            PackB(Math.Min(KC, op.K - pc), op.N, b + pc * op.Rsb, op.Rsb, op.Csb, dst + pc * paddedN, nr);
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
    /// One block GEMM on one thread: <see cref="GemmOne"/>'s choice of path, with the packed path in the shared Goto loops
    /// reading B from <paramref name="packedB"/> (as <see cref="FfnPackWhole"/> packed it; 0: packed per call) instead
    /// of packing it again; the same panels and loops, so the same result bit for bit.
    /// </summary>
    private static unsafe void FfnGemm<T>(in GemmArgs<T> g, nint packedB, GemmPath path, GemmBlocks blocks) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (GemmIsDirect(g, path)) GemmOne(g, path, parallel: false);
        else Goto(g, path, blocks, (T*)packedB, prepackedIsA: false);
    }

    /// <summary>
    /// One product on this thread, as <see cref="GemmOne"/> with <c>parallel: false</c> computes it (the same path, blocks
    /// and loops, so the same result bit for bit), but called straight: no work-split closure per call (the backward's
    /// weight-gradient GEMMs run three per block of rows, thousands per training step at MH-MoE's widths).
    /// </summary>
    private static unsafe void FfnGemmSerial<T>(in GemmArgs<T> g, GemmPath path, GemmBlocks blocks) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (g.K == 0 || T.IsZero(g.Alpha)) GemmOne(g, path, parallel: false);
        else if (GemmIsDirect(g, path)) DirectBlock(g, 0, g.M, 0, g.N);
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

    /// <summary>
    /// Each expert's [Wg_e; Wu_e] as one contiguous (2H, d) matrix (experts without rows: none), in one pooled buffer
    /// (release it after use): the operand of the one gate-up product per block of rows (forward and recomputation, as
    /// its transposed view), and of the input gradient [dG dU] [Wg; Wu] with K = 2H. The copy is 2Hd elements per expert
    /// and op, small next to the products over the expert's rows.
    /// </summary>
    private static unsafe (Tensor? Buffer, nint[] Address) FfnGateUpStack<T>(IReadOnlyList<Tensor> gate, IReadOnlyList<Tensor> up, IReadOnlyList<int> starts,
        ScalarType dtype, Pins pins) where T : unmanaged
    {
        int experts = gate.Count, h = gate[0].Sizes[0], d = gate[0].Sizes[1];
        var address = new nint[experts];
        int used = 0;
        for (int e = 0; e < experts; e++)
            if (starts[e + 1] > starts[e]) used++;
        if (used == 0 || (long)used * 2 * h * d == 0) return (null, address);
        var buffer = Tensor.Empty(dtype, [used * 2 * h * d]);
        nint pb = pins.Address<T>(buffer);
        var src = new (nint Gate, nint Up)[experts];
        for (int e = 0, k = 0; e < experts; e++)
        {
            if (starts[e + 1] == starts[e]) continue;
            address[e] = pb + (nint)k++ * 2 * h * d * sizeof(T);
            src[e] = (pins.Address<T>(gate[e]), pins.Address<T>(up[e]));
        }
        ParallelFor.Run(experts, 1, (e0, e1) =>
        {
            for (int e = e0; e < e1; e++)
            {
                if (address[e] == 0) continue;
                CopyRows((T*)src[e].Gate, gate[e].Strides[0], gate[e].Strides[1], (T*)address[e]);
                CopyRows((T*)src[e].Up, up[e].Strides[0], up[e].Strides[1], (T*)address[e] + (nint)h * d);
            }
        });
        return (buffer, address);

        void CopyRows(T* w, nint rs, nint cs, T* dst)
        {
            for (int r = 0; r < h; r++)
            {
                if (cs == 1) new ReadOnlySpan<T>(w + r * rs, d).CopyTo(new Span<T>(dst + (nint)r * d, d));
                else
                    for (int c = 0; c < d; c++) dst[(nint)r * d + c] = w[r * rs + c * cs];
            }
        }
    }

    private static unsafe void FfnForward<T>(Tensor x, IReadOnlyList<Tensor> gate, IReadOnlyList<Tensor> up, IReadOnlyList<Tensor> down, IReadOnlyList<int> starts, Tensor y)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var path = ActiveGemmPath;
        int d = x.Sizes[1], h = gate[0].Sizes[0], h2 = 2 * h, sz = sizeof(T);
        int rb = FfnBlockRows(h, sz);
        var items = new List<FfnItem>();
        for (int e = 0; e < gate.Count; e++)
            for (int r = starts[e]; r < starts[e + 1]; r += rb) items.Add(new FfnItem(e, r, Math.Min(r + rb, starts[e + 1]), -1));
        if (items.Count == 0) return;
        using var pins = new Pins();
        nint px = pins.Address<T>(x), py = pins.Address<T>(y);
        var (stack, pw) = FfnGateUpStack<T>(gate, up, starts, x.dtype, pins);
        var pd = down.Select(pins.Address<T>).ToArray();
        int xs0 = x.Strides[0], xs1 = x.Strides[1];
        T one = T.One, zero = T.Zero;
        // Each used expert's [Wg; Wu]^T (d, 2H) and Wd^T (H, d), packed once for all its row blocks.
        var blocks = ActiveGemmBlocks;
        int ex = gate.Count;
        var ops = new FfnOperand?[2 * ex];
        for (int e = 0; e < ex; e++)
        {
            if (!FfnPrepack(starts[e + 1] - starts[e], rb, h, d)) continue;
            ops[e] = new FfnOperand(pw[e], d, h2, 1, d);
            ops[ex + e] = new FfnOperand(pd[e], h, d, down[e].Strides[1], down[e].Strides[0]);
        }
        var (packBuffer, packed) = FfnPackAll<T>(ops, x.dtype, path, blocks, pins);
        RunFfnItems(items, it =>
        {
            int m = it.End - it.Start;
            var scratch = FfnScratch<T>.Get(2 * rb * h);
            fixed (T* buf = scratch)
            {
                nint xr = px + (nint)it.Start * xs0 * sz;
                Tensor wd = down[it.Expert];
                // [G U] = x [Wg; Wu]^T: (m, d) @ (d, 2H), one product (the rows packed once)
                FfnGemm(new GemmArgs<T>(m, h2, d, one, zero, xr, xs0, xs1, pw[it.Expert], 1, d, (nint)buf, h2, 1), packed[it.Expert], path, blocks);
                for (int i = 0; i < m; i++) SwiGluSpan(buf + (nint)i * h2, buf + (nint)i * h2 + h, buf + (nint)i * h2, h); // A over G
                // y = A Wd^T: (m, H) @ (H, d), A the first half of each row
                FfnGemm(new GemmArgs<T>(m, d, h, one, zero, (nint)buf, h2, 1, pd[it.Expert], wd.Strides[1], wd.Strides[0], py + (nint)it.Start * d * sz, d, 1), packed[ex + it.Expert], path, blocks);
            }
        });
        packBuffer?.Storage.Release(); // scratch: back to the pool now
        stack?.Storage.Release();
    }

    private static unsafe (Tensor, Tensor?[], Tensor?[], Tensor?[]) FfnBackward<T>(
        Tensor grad, Tensor x, IReadOnlyList<Tensor> gate, IReadOnlyList<Tensor> up, IReadOnlyList<Tensor> down, IReadOnlyList<int> starts)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var path = ActiveGemmPath;
        int experts = gate.Count, d = x.Sizes[1], h = gate[0].Sizes[0], h2 = 2 * h, sz = sizeof(T), hd = h * d;
        int rb = FfnBlockRows(h, sz);
        var dx = Tensor.Empty(x.dtype, [x.Sizes[0], d]);
        var dGateUp = new Tensor?[experts];
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
            // d[Wg; Wu] as one (2H, d) product per block; dGate and dUp are its two halves (views).
            var gu = dGateUp[e] = Tensor.Empty(x.dtype, [h2, d]);
            dGate[e] = new Tensor(gu.Storage, [h, d], [d, 1], gu.Offset, x.dtype);
            dUp[e] = new Tensor(gu.Storage, [h, d], [d, 1], gu.Offset + hd, x.dtype);
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
        // time at the small model's MH-MoE widths). Layout: d[Wg; Wu] (2hd), then dWd (hd).
        var partials = new Tensor[slots];
        for (int i = 0; i < slots; i++) partials[i] = Tensor.Empty(x.dtype, [3 * hd]);
        using (var pins = new Pins())
        {
            nint px = pins.Address<T>(x), pgr = pins.Address<T>(grad), pdx = pins.Address<T>(dx);
            var pp = new nint[slots];
            for (int i = 0; i < slots; i++) pp[i] = pins.Address<T>(partials[i]);
            var (stack, pw) = FfnGateUpStack<T>(gate, up, starts, x.dtype, pins);
            var pd = down.Select(pins.Address<T>).ToArray();
            var pdgu = dGateUp.Select(t => t is null ? 0 : pins.Address<T>(t)).ToArray();
            var pdd = dDown.Select(t => t is null ? 0 : pins.Address<T>(t)).ToArray();
            int xs0 = x.Strides[0], xs1 = x.Strides[1], gs0 = grad.Strides[0], gs1 = grad.Strides[1];
            T one = T.One, zero = T.Zero;
            // Each used expert's weight operands, packed once for all its row blocks: [Wg; Wu]^T (d, 2H) for the
            // recomputation, Wd (d, H) for dA, [Wg; Wu] (2H, d) for dx.
            var blocks = ActiveGemmBlocks;
            var ops = new FfnOperand?[3 * experts];
            for (int e = 0; e < experts; e++)
            {
                if (!FfnPrepack(starts[e + 1] - starts[e], rb, h, d)) continue;
                Tensor wd = down[e];
                ops[e] = new FfnOperand(pw[e], d, h2, 1, d);
                ops[experts + e] = new FfnOperand(pd[e], d, h, wd.Strides[0], wd.Strides[1]);
                ops[2 * experts + e] = new FfnOperand(pw[e], h2, d, d, 1);
            }
            var (packBuffer, packed) = FfnPackAll<T>(ops, x.dtype, path, blocks, pins);
            RunFfnItems(items, it =>
            {
                int e = it.Expert;
                Tensor wd = down[e];
                nint oDgu = it.Slot < 0 ? pdgu[e] : pp[it.Slot];
                nint oDd = it.Slot < 0 ? pdd[e] : pp[it.Slot] + (nint)2 * hd * sz;
                var scratch = FfnScratch<T>.Get(3 * rb * h);
                fixed (T* buf = scratch)
                {
                    T* gu = buf, da = buf + rb * h2;
                    for (int r = it.Start; r < it.End; r += rb)
                    {
                        int m = Math.Min(rb, it.End - r);
                        T beta = r == it.Start ? zero : one;
                        nint xr = px + (nint)r * xs0 * sz, gr = pgr + (nint)r * gs0 * sz;
                        // [G U] = x [Wg; Wu]^T: (m, d) @ (d, 2H), recomputed as one product
                        FfnGemm(new GemmArgs<T>(m, h2, d, one, zero, xr, xs0, xs1, pw[e], 1, d, (nint)gu, h2, 1), packed[e], path, blocks);
                        // dA = dy Wd: (m, d) @ (d, H)
                        FfnGemm(new GemmArgs<T>(m, h, d, one, zero, gr, gs0, gs1, pd[e], wd.Strides[0], wd.Strides[1], (nint)da, h, 1), packed[experts + e], path, blocks);
                        for (int i = 0; i < m; i++) // [G U] := [dgate dup], dA := A, row by row
                        {
                            T* gi = gu + (nint)i * h2, di = da + (nint)i * h;
                            SwiGluBackwardSpan(di, gi, gi + h, gi, gi + h, di, h);
                        }
                        // dx = [dgate dup] [Wg; Wu]: (m, 2H) @ (2H, d), one product with K = 2H
                        FfnGemm(new GemmArgs<T>(m, d, h2, one, zero, (nint)gu, h2, 1, pw[e], d, 1, pdx + (nint)r * d * sz, d, 1), packed[2 * experts + e], path, blocks);
                        // d[Wg; Wu] += [dgate dup]^T x: (2H, m) @ (m, d); dWd += dy^T A: (d, m) @ (m, H)
                        FfnGemmSerial(new GemmArgs<T>(h2, d, m, one, beta, (nint)gu, 1, h2, xr, xs0, xs1, oDgu, d, 1), path, blocks);
                        FfnGemmSerial(new GemmArgs<T>(d, h, m, one, beta, gr, gs1, gs0, (nint)da, h, 1, oDd, h, 1), path, blocks);
                    }
                }
            });
            packBuffer?.Storage.Release(); // scratch: back to the pool now
            stack?.Storage.Release();
        }
        if (slots > 0)
        {
            // Sum the partials into their expert's gradients in item order (fixed: independent of the threads).
            foreach (var it in extra)
            {
                var part = partials[it.Slot];
                var P = part.StorageAs<T>();
                int at = part.Offset;
                var gu = dGateUp[it.Expert]!;
                var dd = dDown[it.Expert]!;
                var guSpan = gu.StorageAs<T>().AsSpan(gu.Offset, 2 * hd);
                var ddSpan = dd.StorageAs<T>().AsSpan(dd.Offset, hd);
                TensorPrimitives.Add(guSpan, new ReadOnlySpan<T>(P, at, 2 * hd), guSpan);
                TensorPrimitives.Add(ddSpan, new ReadOnlySpan<T>(P, at + 2 * hd, hd), ddSpan);
                part.Storage.Release(); // scratch: back to the pool now
            }
        }
        return (dx, dGate, dUp, dDown);
    }
}
