// CPU GEMM driver: validation, batching, the choice between the direct path (tiny or skinny products) and
// the packed GotoBLAS/BLIS path, and a thread split that never changes any element's reduction order over K.
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace PluginMoE.Tensors.Backends;

public sealed partial class CpuBackend
{
    /// <summary>Kernel family for GEMM.</summary>
    internal enum GemmPath
    {
        /// <summary>The widest family the CPU supports.</summary>
        Auto,
        /// <summary>AVX-512F + FMA register tiles.</summary>
        Avx512,
        /// <summary>AVX2 + FMA register tiles.</summary>
        Avx2,
        /// <summary>No packing; TensorPrimitives/scalar loops (CPUs without AVX2/FMA).</summary>
        Portable,
    }

    /// <summary>Forces a GEMM kernel family (tests and benchmarks); <see cref="GemmPath.Auto"/> by default.</summary>
    private static readonly AsyncLocal<GemmPath> GemmPathScoped = new();

    /// <summary>Forces a kernel path for the current async flow only (tests compare paths without disturbing each other).</summary>
    internal static GemmPath GemmPathOverride
    {
        get => GemmPathScoped.Value;
        set => GemmPathScoped.Value = value;
    }

    /// <summary>The GEMM kernel family in use.</summary>
    internal static GemmPath ActiveGemmPath
    {
        get
        {
            bool has512 = Avx512F.IsSupported && Fma.IsSupported, has256 = Avx2.IsSupported && Fma.IsSupported;
            var p = GemmPathOverride;
            if (p == GemmPath.Avx512 && !has512 || p == GemmPath.Avx2 && !has256)
                throw new PlatformNotSupportedException($"gemm: kernel family {p} is not supported by this CPU");
            if (p != GemmPath.Auto) return p;
            return has512 ? GemmPath.Avx512 : has256 ? GemmPath.Avx2 : GemmPath.Portable;
        }
    }

    /// <summary>Products with at most this many multiply-adds skip packing.</summary>
    private const long DirectMaxFlops = 32 * 32 * 32;

    /// <summary>Largest operand packed once and shared by the threads of one product (larger ones: each thread packs what it needs).</summary>
    private const long MaxSharedPackBytes = 32L << 20;

    /// <summary>
    /// Shared packing is on unless <c>PLUGINMOE_GEMM_SHARED_PACK=0</c> (read once per process; for before/after benchmarks on a
    /// quiet machine: both settings give bitwise the same results).
    /// </summary>
    private static readonly bool SharedPackEnabled = Environment.GetEnvironmentVariable("PLUGINMOE_GEMM_SHARED_PACK") != "0";

    /// <summary>Minimum multiply-adds given to one thread (smaller products stay on the calling thread).</summary>
    private const long MinFlopsPerThread = 1L << 20;

    /// <inheritdoc/>
    public Tensor Matmul(Tensor a, Tensor b)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        if (a.Sizes.Length < 2 || a.Sizes.Length != b.Sizes.Length)
            throw new ArgumentException($"gemm: operands must have the same rank >= 2, got shapes {Shape.Format(a.Sizes)} and {Shape.Format(b.Sizes)}");
        var sizes = (int[])a.Sizes.Clone();
        sizes[^1] = b.Sizes[^1];
        var c = Tensor.Empty(a.dtype, sizes);
        Gemm(a, b, c, 1, 0);
        return c;
    }

    /// <inheritdoc/>
    public void Gemm(Tensor a, Tensor b, Tensor c, double alpha = 1, double beta = 0)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        ArgumentNullException.ThrowIfNull(c);
        ValidateGemm(a, b, c);
        switch (c.dtype)
        {
            case ScalarType.Float32: GemmTyped(a, b, c, (float)alpha, (float)beta); break;
            case ScalarType.Float64: GemmTyped(a, b, c, alpha, beta); break;
            default: throw new NotSupportedException($"gemm: {c.dtype.TorchName()} tensors are not supported; use float32 or float64");
        }
    }

    private static void ValidateGemm(Tensor a, Tensor b, Tensor c)
    {
        int r = c.Sizes.Length;
        if (r < 2 || a.Sizes.Length != r || b.Sizes.Length != r)
            throw new ArgumentException($"gemm: a, b and c must have the same rank >= 2, got shapes {Shape.Format(a.Sizes)}, {Shape.Format(b.Sizes)} and {Shape.Format(c.Sizes)}");
        if (a.dtype != c.dtype || b.dtype != c.dtype)
            throw new ArgumentException($"gemm: dtypes differ ({a.dtype.TorchName()}, {b.dtype.TorchName()}, {c.dtype.TorchName()}); convert the operands to one type");
        for (int d = 0; d < r - 2; d++)
            if (a.Sizes[d] != c.Sizes[d] || b.Sizes[d] != c.Sizes[d])
                throw new ArgumentException($"gemm: batch dims differ for shapes {Shape.Format(a.Sizes)}, {Shape.Format(b.Sizes)} and {Shape.Format(c.Sizes)}; expand the operands to the output's batch shape first");
        if (a.Sizes[r - 1] != b.Sizes[r - 2] || a.Sizes[r - 2] != c.Sizes[r - 2] || b.Sizes[r - 1] != c.Sizes[r - 1])
            throw new ArgumentException($"gemm: shapes {Shape.Format(a.Sizes)} @ {Shape.Format(b.Sizes)} -> {Shape.Format(c.Sizes)} do not fit (need (.., M, K) @ (.., K, N) -> (.., M, N))");
    }

    /// <summary>One matrix of a batch: pointers (as addresses) and strides in elements.</summary>
    private readonly record struct GemmArgs<T>(int M, int N, int K, T Alpha, T Beta, nint A, nint Rsa, nint Csa, nint B, nint Rsb, nint Csb, nint C, nint Rsc, nint Csc);

    private static unsafe void GemmTyped<T>(Tensor a, Tensor b, Tensor c, T alpha, T beta) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int r = c.Sizes.Length;
        int m = c.Sizes[r - 2], n = c.Sizes[r - 1], k = a.Sizes[r - 1];
        int batch = 1;
        for (int d = 0; d < r - 2; d++) batch *= c.Sizes[d];
        if (batch == 0 || m == 0 || n == 0) return;
        var path = ActiveGemmPath;

        // Element offsets of every batch entry (row-major over the batch dims).
        var offA = new int[batch];
        var offB = new int[batch];
        var offC = new int[batch];
        var idx = new int[Math.Max(r - 2, 0)];
        int oa = a.Offset, ob = b.Offset, oc = c.Offset;
        for (int i = 0; i < batch; i++)
        {
            offA[i] = oa; offB[i] = ob; offC[i] = oc;
            for (int d = r - 3; d >= 0; d--)
            {
                idx[d]++;
                oa += a.Strides[d]; ob += b.Strides[d]; oc += c.Strides[d];
                if (idx[d] < c.Sizes[d]) break;
                oa -= a.Strides[d] * c.Sizes[d]; ob -= b.Strides[d] * c.Sizes[d]; oc -= c.Strides[d] * c.Sizes[d];
                idx[d] = 0;
            }
        }

        fixed (T* pa = a.StorageAs<T>(), pb = b.StorageAs<T>(), pc = c.StorageAs<T>())
        {
            nint baseA = (nint)pa, baseB = (nint)pb, baseC = (nint)pc;
            int sz = sizeof(T);
            GemmArgs<T> Args(int i) => new(m, n, k, alpha, beta,
                baseA + (nint)offA[i] * sz, a.Strides[r - 2], a.Strides[r - 1],
                baseB + (nint)offB[i] * sz, b.Strides[r - 2], b.Strides[r - 1],
                baseC + (nint)offC[i] * sz, c.Strides[r - 2], c.Strides[r - 1]);

            long flops = (long)m * n * Math.Max(k, 1);
            int threads = ParallelFor.Threads;
            bool overBatch = batch > 1 && (batch % threads == 0 || batch >= 4 * threads || flops < MinFlopsPerThread * threads);
            if (overBatch)
            {
                int minChunk = (int)Math.Clamp(MinFlopsPerThread / flops, 1, batch);
                ParallelFor.Run(batch, minChunk, (b0, b1) =>
                {
                    for (int i = b0; i < b1; i++) GemmOne(Args(i), path, parallel: false);
                });
            }
            else
            {
                for (int i = 0; i < batch; i++) GemmOne(Args(i), path, parallel: true);
            }
        }
    }

    /// <summary>One product; the path depends only on the sizes, so the result never depends on the thread count.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // optimised from the first call: no tier-0 or OSR phase
    private static void GemmOne<T>(in GemmArgs<T> g, GemmPath path, bool parallel) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (g.K == 0 || T.IsZero(g.Alpha))
        {
            ScaleC(g);
            return;
        }
        if (GemmIsDirect(g, path)) GemmDirect(g, parallel);
        else GemmPacked(g, path, parallel);
    }

    /// <summary>Whether a product takes the direct path (no packing): tiny or skinny products, K = 0, alpha = 0, no AVX2.</summary>
    private static bool GemmIsDirect<T>(in GemmArgs<T> g, GemmPath path) where T : unmanaged, IFloatingPointIeee754<T> =>
        g.K == 0 || T.IsZero(g.Alpha) || path == GemmPath.Portable || g.M < 4 || g.N < 4 || (long)g.M * g.N * g.K <= DirectMaxFlops;

    /// <summary>C = beta * C (beta = 0 writes zeros, ignoring NaNs in C).</summary>
    private static unsafe void ScaleC<T>(in GemmArgs<T> g) where T : unmanaged, IFloatingPointIeee754<T>
    {
        T* c = (T*)g.C;
        for (int i = 0; i < g.M; i++)
            for (int j = 0; j < g.N; j++)
            {
                T* e = c + i * g.Rsc + j * g.Csc;
                *e = T.IsZero(g.Beta) ? T.Zero : *e * g.Beta;
            }
    }

    /// <summary>Forces the cache blocks for the current async flow only (tests); null: <see cref="GemmBlocks.FromEnvironment"/>.</summary>
    private static readonly AsyncLocal<GemmBlocks?> GemmBlocksScoped = new();

    /// <summary>Cache blocks for packed products started from the current async flow (tests); null by default.</summary>
    internal static GemmBlocks? GemmBlocksOverride
    {
        get => GemmBlocksScoped.Value;
        set => GemmBlocksScoped.Value = value;
    }

    /// <summary>The cache blocks in use: the test override, else <c>PLUGINMOE_GEMM_BLOCKING</c>, else the defaults.</summary>
    internal static GemmBlocks ActiveGemmBlocks => GemmBlocksOverride ?? GemmBlocks.FromEnvironment;

    /// <summary>Register tile and cache blocks (elements) for a kernel family, element type and block sizes.</summary>
    private static (int mr, int nr, int mc, int kc, int nc) GemmBlocking<T>(GemmPath path, GemmBlocks blocks) where T : unmanaged
    {
        // Defaults (kc 256, 480 KiB of A, nc 2048): the kc x nr B micro-panel (32 KiB at kc = 256, float AVX-512) stays
        // in L1 (48 KiB) while the mc x kc A block streams from L2 (1-2 MiB); the kc x nc B panel lives in L3.
        int w = path == GemmPath.Avx512 ? Vector512<T>.Count : Vector256<T>.Count;
        int mr = path == GemmPath.Avx512 ? 12 : 6;
        int nr = 2 * w;
        int kc = blocks.Kc;
        int mc = Math.Max(mr, (int)((long)blocks.AKiB * 1024 / (kc * Unsafe.SizeOf<T>())) / mr * mr);
        int nc = (blocks.Nc + nr - 1) / nr * nr;
        return (mr, nr, mc, kc, nc);
    }

    /// <summary>
    /// Packed path: splits M or N over threads in whole register tiles, then runs GotoBLAS loops. With more than one
    /// thread, the operand along the dimension that is not split (which every thread needs whole) is packed once, by
    /// all threads together, into a shared buffer before the split; each thread then packs only its own share of the
    /// other operand. The packed values and the K blocks are the same as in one thread's run, so the result is too.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // optimised from the first call: no tier-0 or OSR phase
    private static unsafe void GemmPacked<T>(GemmArgs<T> g, GemmPath path, bool parallel) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var blocks = ActiveGemmBlocks; // read on the calling thread: every worker uses the same K blocks
        var (mr, nr, _, KC, _) = GemmBlocking<T>(path, blocks);
        // Split the dimension whose other operand is cheaper to pack: contiguous runs copy fast, transposing gathers
        // cost about 4x more (each thread packs its share of one operand; the other is packed once, shared).
        double packA = (double)g.M * g.K * (g.Rsa == 1 ? 1 : 4), packB = (double)g.K * g.N * (g.Csb == 1 ? 1 : 4);
        bool splitN = g.N >= nr * 2 && (packA <= packB || g.M < mr * 2);
        int tile = splitN ? nr : mr;
        int tiles = ((splitN ? g.N : g.M) + tile - 1) / tile;
        long flopsPerTile = (long)(splitN ? g.M : g.N) * g.K * tile;
        int minChunk = parallel ? (int)Math.Clamp(MinFlopsPerThread / flopsPerTile, 1, tiles) : tiles;
        int sz = Unsafe.SizeOf<T>();
        nint packed = 0;
        long sharedBytes = (long)((splitN ? g.M : g.N) + (splitN ? mr : nr) - 1) / (splitN ? mr : nr) * (splitN ? mr : nr) * g.K * sz;
        if (SharedPackEnabled && ParallelFor.ChunkCount(tiles, minChunk) > 1 && sharedBytes <= MaxSharedPackBytes)
        {
            // The whole of A (split over N) or B (split over M) in micro-panels, K block after K block: block pc holds
            // the panels of every row (column) at offset pc * padded, panel i0 at i0 * kc within it, as PackA/PackB
            // lay out one block. The threads share the panels out (K blocks are not split: each panel is whole).
            int panel = splitN ? mr : nr, extent = splitN ? g.M : g.N;
            int panels = (extent + panel - 1) / panel;
            long padded = (long)panels * panel;
            nint buf = GemmBuffers.ForThisThread.Shared((int)sharedBytes);
            var a = g;
            int minPanels = (int)Math.Clamp((1L << 14) / Math.Max(1L * panel * g.K, 1), 1, panels); // about 16k elements each
            ParallelFor.Run(panels, minPanels, (p0, p1) =>
            {
                int s = p0 * panel, e = Math.Min(p1 * panel, extent);
                for (int pc = 0; pc < a.K; pc += KC)
                {
                    int kc = Math.Min(KC, a.K - pc);
                    T* dst = (T*)buf + pc * padded + (nint)s * kc;
                    if (splitN) PackA(e - s, kc, (T*)a.A + s * a.Rsa + pc * a.Csa, a.Rsa, a.Csa, dst, mr);
                    else PackB(kc, e - s, (T*)a.B + pc * a.Rsb + s * a.Csb, a.Rsb, a.Csb, dst, nr);
                }
            });
            packed = buf;
        }
        bool sharedA = splitN;
        ParallelFor.Run(tiles, minChunk, (t0, t1) =>
        {
            int s = t0 * tile, e = Math.Min(t1 * tile, splitN ? g.N : g.M);
            var sub = splitN
                ? g with { N = e - s, B = g.B + s * g.Csb * sz, C = g.C + s * g.Csc * sz }
                : g with { M = e - s, A = g.A + s * g.Rsa * sz, C = g.C + s * g.Rsc * sz };
            Goto(sub, path, blocks, packed == 0 ? null : (T*)packed, sharedA);
        });
    }

    /// <summary>
    /// Whether <see cref="Goto{T}"/> packs the full 12-row panels of A inside the first column panel's micro-kernels
    /// (<see cref="Micro512A{T}"/>: A read in place, each broadcast value stored into the packed panel) instead of in a
    /// separate <see cref="PackA"/> pass: AVX-512 kernels, a row-major A (unit column stride) not already packed for all
    /// threads, and <see cref="GemmBlocks.ReadsA"/>. Packing a row-major A is a transpose (8x8 and 4x4 register
    /// transposes, bound by the shuffle port) that products with K = 512-1024 and N = 128-256 amortise over only N / 32
    /// column panels (10-15% of their time); the kernel's broadcasts load from any address and its stores ride on free
    /// store ports. But its twelve strided rows (4 KiB apart at K = 1024) share L1 sets with the B micro-panel, so that
    /// first pass runs slower than a packed one: it pays only with few column panels (at most
    /// <see cref="ReadAMaxColumnPanels"/>, N &lt;= 256 floats; measured 1.5-5.5% less CPU per call on the model products with
    /// K = 512-1024 and N = 128-256, about even with N = 512-1024). The edge panel (fewer than 12 rows) is still packed
    /// beforehand (zero rows past M).
    /// </summary>
    private static bool ReadsAInPlace<T>(in GemmArgs<T> g, GemmPath path, GemmBlocks blocks) where T : unmanaged =>
        blocks.ReadsA && path == GemmPath.Avx512 && g.Csa == 1 && g.Rsa != 1 && g.N <= ReadAMaxColumnPanels * 2 * Vector512<T>.Count;

    /// <summary>Most column panels (of 2 vectors) over which A is packed inside the kernels (<see cref="ReadsAInPlace{T}"/>).</summary>
    private const int ReadAMaxColumnPanels = 8;

    /// <summary>
    /// Benchmarks only: the packing that one thread's packed path does for the float32 product of the 2-D
    /// <paramref name="a"/> and <paramref name="b"/>, block by block in the Goto loops' order, without the micro-kernel;
    /// false (nothing done) when the product takes the direct path. Its time over a whole call's is the packing share.
    /// </summary>
    internal static unsafe bool GemmPackOnly(Tensor a, Tensor b)
    {
        if (a.Sizes.Length != 2 || b.Sizes.Length != 2 || a.dtype != ScalarType.Float32 || b.dtype != ScalarType.Float32 || a.Sizes[1] != b.Sizes[0])
            throw new ArgumentException($"gemm pack-only: needs 2-D float32 operands (M, K) and (K, N), got {Shape.Format(a.Sizes)} and {Shape.Format(b.Sizes)}");
        var path = ActiveGemmPath;
        fixed (float* pa = a.StorageAs<float>(), pb = b.StorageAs<float>())
        {
            var g = new GemmArgs<float>(a.Sizes[0], b.Sizes[1], a.Sizes[1], 1f, 0f, (nint)(pa + a.Offset), a.Strides[0], a.Strides[1],
                (nint)(pb + b.Offset), b.Strides[0], b.Strides[1], 0, b.Sizes[1], 1);
            if (GemmIsDirect(g, path)) return false;
            Goto(g, path, ActiveGemmBlocks, packOnly: true);
            return true;
        }
    }

    /// <summary>
    /// The five GotoBLAS loops with explicit cache blocks (the same for every thread of one product): the one loop nest
    /// of the plain GEMM, the grouped GEMM and the grouped SwiGLU FFN. With <paramref name="prepacked"/> set, all of A
    /// (<paramref name="prepackedIsA"/>) or all of B is already packed there, K block pc at offset pc times the padded
    /// extent (see <see cref="GemmPacked{T}"/>), and is not packed again. <paramref name="packOnly"/> skips the
    /// micro-kernel (<see cref="GemmPackOnly"/>).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // optimised from the first call: no tier-0 or OSR phase
    private static unsafe void Goto<T>(in GemmArgs<T> g, GemmPath path, GemmBlocks blocks, T* prepacked = null, bool prepackedIsA = false,
        bool packOnly = false)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var (mr, nr, MC, KC, NC) = GemmBlocking<T>(path, blocks);
        int ncMax = Math.Min(NC, (g.N + nr - 1) / nr * nr);
        int mcMax = Math.Min(MC, (g.M + mr - 1) / mr * mr);
        int kcMax = Math.Min(KC, g.K);
        var buf = GemmBuffers.ForThisThread;
        bool hasA = prepacked != null && prepackedIsA, hasB = prepacked != null && !prepackedIsA;
        T* ap = hasA ? null : (T*)buf.PackA(mcMax * kcMax * sizeof(T));
        T* bp = hasB ? null : (T*)buf.PackB(ncMax * kcMax * sizeof(T));
        T* tmp = (T*)buf.Tile(mr * nr * sizeof(T));
        T* A = (T*)g.A, B = (T*)g.B, C = (T*)g.C;
        var finalMode = MergeMode(g.Alpha, g.Beta);
        var accMode = MergeMode(g.Alpha, T.One);
        bool unitCol = g.Csc == 1;

        bool readA = !hasA && ReadsAInPlace(g, path, blocks);
        T* sharedA = hasA ? prepacked : null;
        T* sharedB = hasB ? prepacked : null;
        nint paddedM = (g.M + mr - 1) / mr * mr, paddedN = (g.N + nr - 1) / nr * nr;

        for (int jc = 0; jc < g.N; jc += NC)
        {
            int nc = Math.Min(NC, g.N - jc);
            for (int pc = 0; pc < g.K; pc += KC)
            {
                int kc = Math.Min(KC, g.K - pc);
                if (sharedB != null) bp = sharedB + pc * paddedN + (nint)jc * kc;
                else PackB(kc, nc, B + pc * g.Rsb + jc * g.Csb, g.Rsb, g.Csb, bp, nr);
                var mode = pc == 0 ? finalMode : accMode;
                T beta = pc == 0 ? g.Beta : T.One;
                for (int ic = 0; ic < g.M; ic += MC)
                {
                    int mc = Math.Min(MC, g.M - ic);
                    // Full panels of a row-major A are read in place by the first column panel's kernels, which pack them
                    // for the later ones (Micro512A); only the edge panel is packed beforehand.
                    int fullRows = readA ? mc / mr * mr : 0; // packOnly: A's full panels are packed by the kernels, not here
                    if (sharedA != null) ap = sharedA + pc * paddedM + (nint)ic * kc;
                    else if (fullRows < mc) PackA(mc - fullRows, kc, A + (ic + fullRows) * g.Rsa + pc * g.Csa, g.Rsa, g.Csa, ap + (nint)fullRows * kc, mr);
                    if (packOnly) continue;
                    for (int jr = 0; jr < nc; jr += nr)
                    {
                        int nrr = Math.Min(nr, nc - jr);
                        T* bpanel = bp + (nint)jr * kc;
                        for (int ir = 0; ir < mc; ir += mr)
                        {
                            int mrr = Math.Min(mr, mc - ir);
                            T* cTile = C + (ic + ir) * g.Rsc + (jc + jr) * g.Csc;
                            T* apanel = ap + (nint)ir * kc;
                            if (jr == 0 && ir < fullRows)
                            {
                                // A read in place and packed into apanel (AVX-512 only): the same multiply-adds as from a packed panel.
                                T* arows = A + (ic + ir) * g.Rsa + pc;
                                if (nrr == nr && unitCol) Micro512A(kc, arows, g.Rsa, apanel, bpanel, cTile, g.Rsc, g.Alpha, beta, mode);
                                else
                                {
                                    Micro512A(kc, arows, g.Rsa, apanel, bpanel, tmp, nr, g.Alpha, beta, GemmMerge.Store);
                                    for (int i = 0; i < mrr; i++)
                                        for (int j = 0; j < nrr; j++)
                                        {
                                            T* e = cTile + i * g.Rsc + j * g.Csc;
                                            *e = MergeScalar(tmp[i * nr + j], *e, g.Alpha, beta, mode);
                                        }
                                }
                                continue;
                            }
                            if (nrr == nr && unitCol)
                            {
                                // Full-width tile; an edge panel of A (mrr < mr) merges only its mrr rows.
                                if (path == GemmPath.Avx512) Micro512(kc, apanel, bpanel, cTile, g.Rsc, g.Alpha, beta, mode, mrr);
                                else Micro256(kc, apanel, bpanel, cTile, g.Rsc, g.Alpha, beta, mode, mrr);
                            }
                            else
                            {
                                // Narrow edge or strided tile: full tile into a scratch buffer, then merge the valid part.
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
            }
        }
    }
}
