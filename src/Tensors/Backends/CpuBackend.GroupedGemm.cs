// CPU grouped GEMM: every product of the group is cut into register-tile strips along M or N (never K), and all
// strips of all products form one work list that the threads take from, so a few large experts and many small ones
// keep both cores busy without one parallel region per product. Each strip runs the packed GotoBLAS loops (or the
// direct path for tiny products), so an element's reduction order over K is that of Gemm.
using System.Numerics;
using System.Runtime.InteropServices;

namespace PluginMoE.Tensors.Backends;

public sealed partial class CpuBackend
{
    /// <summary>Smallest multiply-adds per work item of a grouped GEMM (a few tens of microseconds on one core).</summary>
    private const long GroupItemFlops = 4L << 20;

    /// <inheritdoc/>
    public void GemmGroup(IReadOnlyList<Tensor> a, IReadOnlyList<Tensor> b, IReadOnlyList<Tensor> c, double alpha = 1, double beta = 0)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        ArgumentNullException.ThrowIfNull(c);
        GemmGroupChecks.Lengths(a, b, c);
        if (c.Count == 0) return;
        for (int i = 0; i < c.Count; i++)
        {
            if (c[i].Sizes.Length != 2)
                throw new ArgumentException($"gemm_group: entry {i}: expected 2-D operands, got shapes {Shape.Format(a[i].Sizes)}, {Shape.Format(b[i].Sizes)} and {Shape.Format(c[i].Sizes)}");
            ValidateGemm(a[i], b[i], c[i]);
            if (c[i].dtype != c[0].dtype)
                throw new ArgumentException($"gemm_group: entry {i} is {c[i].dtype.TorchName()}, entry 0 {c[0].dtype.TorchName()}; all products share one dtype");
        }
        switch (c[0].dtype)
        {
            case ScalarType.Float32: GemmGroupTyped(a, b, c, (float)alpha, (float)beta); break;
            case ScalarType.Float64: GemmGroupTyped(a, b, c, alpha, beta); break;
            default: throw new NotSupportedException($"gemm_group: {c[0].dtype.TorchName()} tensors are not supported; use float32 or float64");
        }
    }

    /// <summary>One work item: a strip [start, end) along M (or N when <c>SplitN</c>) of product <c>Entry</c>.</summary>
    private readonly record struct GroupItem(int Entry, bool SplitN, int Start, int End, bool Whole);

    private static unsafe void GemmGroupTyped<T>(IReadOnlyList<Tensor> a, IReadOnlyList<Tensor> b, IReadOnlyList<Tensor> c, T alpha, T beta)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var path = ActiveGemmPath;
        var blocks = ActiveGemmBlocks; // read on the calling thread: every item uses the same K blocks
        var (mr, nr, _, _, _) = GemmBlocking<T>(path, blocks);
        int count = c.Count, sz = sizeof(T);

        // Pin every distinct storage array once.
        var pins = new Dictionary<object, (GCHandle handle, nint address)>(ReferenceEqualityComparer.Instance);
        nint Address(Tensor t)
        {
            var arr = t.StorageAs<T>();
            if (!pins.TryGetValue(arr, out var p))
            {
                var h = GCHandle.Alloc(arr, GCHandleType.Pinned);
                p = (h, h.AddrOfPinnedObject());
                pins[arr] = p;
            }
            return p.address + (nint)t.Offset * sz;
        }
        try
        {
            // Items of at least a 1/(2 threads) share of all the work (and GroupItemFlops): every item packs the operand it
            // does not split in full, so fewer, larger items pack less; largest-first dynamic scheduling balances them.
            long total = 0;
            for (int i = 0; i < count; i++) total += (long)c[i].Sizes[0] * c[i].Sizes[1] * a[i].Sizes[1];
            long itemFlops = Math.Max(GroupItemFlops, total / (2L * ParallelFor.Threads));
            var args = new GemmArgs<T>[count];
            var items = new List<GroupItem>(count * 2);
            for (int i = 0; i < count; i++)
            {
                Tensor ai = a[i], bi = b[i], ci = c[i];
                int m = ci.Sizes[0], n = ci.Sizes[1], k = ai.Sizes[1];
                if (m == 0 || n == 0) continue;
                args[i] = new GemmArgs<T>(m, n, k, alpha, beta,
                    Address(ai), ai.Strides[0], ai.Strides[1], Address(bi), bi.Strides[0], bi.Strides[1], Address(ci), ci.Strides[0], ci.Strides[1]);
                if (GemmIsDirect(args[i], path))
                {
                    items.Add(new GroupItem(i, false, 0, m, Whole: true));
                    continue;
                }
                // Split as the packed path does: along the dimension whose duplicated packing is cheaper.
                var g = args[i];
                double packA = (double)m * k * (g.Rsa == 1 ? 1 : 4), packB = (double)k * n * (g.Csb == 1 ? 1 : 4);
                bool splitN = n >= nr * 2 && (packA <= packB || m < mr * 2);
                int tile = splitN ? nr : mr, extent = splitN ? n : m;
                int tiles = (extent + tile - 1) / tile;
                long flops = (long)m * n * k;
                int parts = (int)Math.Clamp(flops / itemFlops, 1, tiles);
                for (int p = 0; p < parts; p++)
                {
                    int t0 = (int)((long)tiles * p / parts), t1 = (int)((long)tiles * (p + 1) / parts);
                    items.Add(new GroupItem(i, splitN, t0 * tile, Math.Min(t1 * tile, extent), Whole: false));
                }
            }

            void RunItem(GroupItem it)
            {
                var g = args[it.Entry];
                if (it.Whole)
                {
                    GemmOne(g, path, parallel: false);
                    return;
                }
                int s = it.Start, e = it.End;
                var sub = it.SplitN
                    ? g with { N = e - s, B = g.B + s * g.Csb * sz, C = g.C + s * g.Csc * sz }
                    : g with { M = e - s, A = g.A + s * g.Rsa * sz, C = g.C + s * g.Rsc * sz };
                Goto(sub, path, blocks);
            }

            int threads = Math.Min(ParallelFor.Threads, items.Count);
            if (threads <= 1)
            {
                foreach (var it in items) RunItem(it);
                return;
            }
            // Largest items first, taken dynamically: unequal experts balance across the threads. Every element is
            // computed by exactly one item, so the order in which items run does not change any result.
            var order = items.OrderByDescending(it => (long)(it.End - it.Start) * (it.SplitN ? args[it.Entry].M : args[it.Entry].N) * args[it.Entry].K).ToArray();
            int next = -1;
            // One chunk per thread on the worker team; each drains the shared queue (a chunk that starts late finds it
            // empty).
            ParallelFor.Run(threads, 1, (_, _) =>
            {
                int j;
                while ((j = Interlocked.Increment(ref next)) < order.Length) RunItem(order[j]);
            });
        }
        finally
        {
            foreach (var (h, _) in pins.Values) h.Free();
        }
    }
}
