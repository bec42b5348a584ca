// Tests for matmul/mm/bmm/linear and the GEMM kernels: naive float64 triple loops as the oracle (every kernel
// family, odd sizes, transposed and strided operands), broadcasting, shape errors, gradients and determinism.
using PluginMoE.Tensors.Backends;

namespace PluginMoE.Tensors.Tests.Ops;

public class MatmulTests
{
    private static readonly int[] OddSizes = [1, 3, 17, 33, 65, 130];

    /// <summary>Kernel families this CPU can run (the portable one always).</summary>
    public static TheoryData<string> Paths()
    {
        var d = new TheoryData<string> { "Portable" };
        if (System.Runtime.Intrinsics.X86.Avx2.IsSupported && System.Runtime.Intrinsics.X86.Fma.IsSupported) d.Add("Avx2");
        if (System.Runtime.Intrinsics.X86.Avx512F.IsSupported && System.Runtime.Intrinsics.X86.Fma.IsSupported) d.Add("Avx512");
        return d;
    }

    private static T WithPath<T>(string path, Func<T> f)
    {
        var old = CpuBackend.GemmPathOverride;
        CpuBackend.GemmPathOverride = Enum.Parse<CpuBackend.GemmPath>(path);
        try { return f(); }
        finally { CpuBackend.GemmPathOverride = old; }
    }

    /// <summary>Naive float64 product of (.., M, K) @ (.., K, N) with equal batch dims.</summary>
    private static double[] Naive(Tensor a, Tensor b)
    {
        var x = a.to(ScalarType.Float64).data<double>();
        var y = b.to(ScalarType.Float64).data<double>();
        int m = (int)a.size(-2), k = (int)a.size(-1), n = (int)b.size(-1);
        int batch = (int)(a.numel() / Math.Max(1, m * k));
        if (m * k == 0) batch = (int)(b.numel() / Math.Max(1, k * n));
        var r = new double[batch * m * n];
        for (int t = 0; t < batch; t++)
            for (int i = 0; i < m; i++)
                for (int j = 0; j < n; j++)
                {
                    double s = 0;
                    for (int p = 0; p < k; p++) s += x[t * m * k + i * k + p] * y[t * k * n + p * n + j];
                    r[t * m * n + i * n + j] = s;
                }
        return r;
    }

    /// <summary>Asserts closeness scaled by the magnitude of the terms (float32 rounding grows with K).</summary>
    private static void AssertClose(double[] expected, Tensor actual, int k, double tol)
    {
        var got = actual.to(ScalarType.Float64).data<double>();
        Assert.Equal(expected.Length, got.Length);
        double scale = Math.Sqrt(Math.Max(k, 1)) * 4;
        for (int i = 0; i < got.Length; i++)
            Assert.True(Math.Abs(got[i] - expected[i]) <= tol * scale * (1 + Math.Abs(expected[i])),
                $"element {i}: expected {expected[i]:G10}, got {got[i]:G10}");
    }

    private static Tensor Rand(Generator g, ScalarType t, params long[] shape) => torch.randn(shape, t, g);

    private static double Tol(ScalarType t) => t == ScalarType.Float32 ? 1e-6 : 1e-14;

    [Theory]
    [MemberData(nameof(Paths))]
    public void Matmul_OddSizesAndAllTransposes_MatchNaiveLoops(string path)
    {
        var g = new Generator(1);
        foreach (var type in new[] { ScalarType.Float32, ScalarType.Float64 })
            foreach (int m in OddSizes)
                foreach (int k in new[] { 1, 17, 130 })
                    foreach (int n in OddSizes)
                        for (int tr = 0; tr < 4; tr++)
                        {
                            var a = (tr & 1) == 0 ? Rand(g, type, m, k) : Rand(g, type, k, m).mT;
                            var b = (tr & 2) == 0 ? Rand(g, type, k, n) : Rand(g, type, n, k).mT;
                            var c = WithPath(path, () => torch.matmul(a, b));
                            Assert.Equal(new long[] { m, n }, c.shape);
                            AssertClose(Naive(a, b), c, k, Tol(type));
                        }
    }

    [Theory]
    [MemberData(nameof(Paths))]
    public void Matmul_LargerThanCacheBlocks_MatchesNaiveLoops(string path)
    {
        // M > MC, K > KC (several K blocks and a partial one), N with an edge tile; both transposes.
        var g = new Generator(2);
        foreach (var type in new[] { ScalarType.Float32, ScalarType.Float64 })
            foreach (var (m, k, n) in new[] { (490, 300, 40), (40, 270, 520) })
            {
                var a = Rand(g, type, k, m).mT;
                var b = Rand(g, type, k, n);
                AssertClose(Naive(a, b), WithPath(path, () => torch.matmul(a, b)), k, Tol(type));
                var bt = Rand(g, type, n, k).mT;
                AssertClose(Naive(a, bt), WithPath(path, () => torch.matmul(a, bt)), k, Tol(type));
            }
    }

    [Theory]
    [MemberData(nameof(Paths))]
    public void Matmul_TransposedOperandPacking_AroundPanelAndTransposeBlockSizes_MatchesNaiveLoops(string path)
    {
        // A stored (K, M) and B stored (N, K): M around the 12-row panel and the 480-row A block, N and K around the
        // 8x8 and 4x4 transpose blocks of the B packing (and a 1024 stride, a multiple of 4 KiB).
        var g = new Generator(11);
        foreach (var type in new[] { ScalarType.Float32, ScalarType.Float64 })
            foreach (var (m, k, n) in new[] { (12, 8, 32), (13, 9, 33), (25, 7, 39), (481, 17, 40), (24, 257, 31), (36, 1024, 36) })
            {
                var at = Rand(g, type, k, m).mT;
                var bt = Rand(g, type, n, k).mT;
                AssertClose(Naive(at, bt), WithPath(path, () => torch.matmul(at, bt)), k, Tol(type));
                var a = Rand(g, type, m, k);
                AssertClose(Naive(a, bt), WithPath(path, () => torch.matmul(a, bt)), k, Tol(type));
                var b = Rand(g, type, k, n);
                AssertClose(Naive(at, b), WithPath(path, () => torch.matmul(at, b)), k, Tol(type));
            }
    }

    [Theory]
    [MemberData(nameof(Paths))]
    public void Matmul_TransposedA_IsBitwiseTheContiguousA_AroundPackingPassesAndPanels(string path)
    {
        // A^T packing (column-major A: eight k per pass, then single k) must give the very panels the row-major packing
        // gives, so the products are bitwise equal: K around the 8-k pass and the 256 kc block, M around the 12-row panel,
        // the 480-row A block and a 1024 stride (a multiple of 4 KiB); 1 and 2 threads.
        var g = new Generator(12);
        foreach (var type in new[] { ScalarType.Float32, ScalarType.Float64 })
            foreach (var (m, k, n) in new[] { (12, 8, 32), (13, 15, 33), (37, 264, 20), (481, 17, 40), (1024, 40, 36) })
            {
                var at = Rand(g, type, k, m).mT;
                var a = at.contiguous();
                var b = Rand(g, type, k, n);
                foreach (int threads in new[] { 1, 2 })
                    using (ParallelFor.WithThreads(threads))
                    {
                        var fromT = WithPath(path, () => torch.matmul(at, b)).to(ScalarType.Float64).data<double>();
                        var fromRows = WithPath(path, () => torch.matmul(a, b)).to(ScalarType.Float64).data<double>();
                        Assert.Equal(fromRows, fromT);
                    }
            }
    }

    [Fact]
    public void GemmPackOnly_PacksOnlyPackedPathProducts_AndNamesBadOperands()
    {
        // The packing-share bench's probe: nothing for a direct-path product, the packing for a packed one (C untouched:
        // it has none), and a clear error for operands it does not take.
        var g = new Generator(13);
        Assert.False(CpuBackend.GemmPackOnly(Rand(g, ScalarType.Float32, 8, 8), Rand(g, ScalarType.Float32, 8, 8)));
        bool packed = CpuBackend.GemmPackOnly(Rand(g, ScalarType.Float32, 70, 300).mT, Rand(g, ScalarType.Float32, 70, 50));
        Assert.Equal(CpuBackend.ActiveGemmPath != CpuBackend.GemmPath.Portable, packed);
        var e = Assert.Throws<ArgumentException>(() => CpuBackend.GemmPackOnly(Rand(g, ScalarType.Float64, 40, 40), Rand(g, ScalarType.Float64, 40, 40)));
        Assert.Equal("gemm pack-only: needs 2-D float32 operands (M, K) and (K, N), got [40, 40] and [40, 40]", e.Message);
    }

    [Theory]
    [MemberData(nameof(Paths))]
    public void Matmul_StridedNonContiguousOperands_MatchNaiveLoops(string path)
    {
        var g = new Generator(3);
        foreach (var type in new[] { ScalarType.Float32, ScalarType.Float64 })
        {
            var a = Rand(g, type, 40, 2 * 37).slice(1, 0, 2 * 37, 2);       // column stride 2
            var b = Rand(g, type, 45, 50).narrow(0, 3, 37).narrow(1, 5, 41); // offset, row stride 50
            AssertClose(Naive(a, b), WithPath(path, () => torch.matmul(a, b)), 37, Tol(type));
            var a3 = Rand(g, type, 37, 3, 20).permute(1, 2, 0);               // (3, 20, 37), no unit stride
            var b3 = Rand(g, type, 3, 41, 37).transpose(1, 2);                // (3, 37, 41)
            AssertClose(Naive(a3, b3), WithPath(path, () => torch.matmul(a3, b3)), 37, Tol(type));
        }
    }

    [Fact]
    public void Matmul_BroadcastBatchDims_MatchesNaivePerBatch()
    {
        var g = new Generator(4);
        var cases = new (long[] a, long[] b, long[] c)[]
        {
            ([2, 3, 5, 4], [3, 4, 6], [2, 3, 5, 6]),
            ([2, 1, 5, 4], [1, 3, 4, 6], [2, 3, 5, 6]),
            ([2, 7, 9], [9, 11], [2, 7, 11]),        // (B, T, D) @ (D, E)
            ([5, 4], [3, 4, 6], [3, 5, 6]),          // 2-D on the left
            ([2, 3, 40, 33], [2, 3, 33, 70], [2, 3, 40, 70]), // (B, H, T, D) @ (B, H, D, S)
        };
        foreach (var (sa, sb, sc) in cases)
        {
            var a = Rand(g, ScalarType.Float32, sa);
            var b = Rand(g, ScalarType.Float32, sb);
            var c = torch.matmul(a, b);
            Assert.Equal(sc, c.shape);
            var batch = sc[..^2];
            var ae = a.expand([.. batch, sa[^2], sa[^1]]);
            var be = b.expand([.. batch, sb[^2], sb[^1]]);
            AssertClose(Naive(ae, be), c, (int)sa[^1], 1e-6);
        }
    }

    [Fact]
    public void Matmul_OneDimensionalOperands_FollowPyTorchShapes()
    {
        var v = torch.tensor(new float[] { 1, 2, 3 });
        var w = torch.tensor(new float[] { 4, 5, 6 });
        var dot = torch.matmul(v, w);
        Assert.Empty(dot.shape);
        Assert.Equal(32f, dot.item<float>());

        var m = torch.tensor(new float[] { 1, 2, 3, 4, 5, 6 }, [2, 3]);
        var mv = torch.matmul(m, v);                       // (2, 3) @ (3) -> (2)
        Assert.Equal(new long[] { 2 }, mv.shape);
        Assert.Equal(new float[] { 14, 32 }, mv.data<float>());
        var vm = torch.matmul(torch.tensor(new float[] { 1, -1 }), m); // (2) @ (2, 3) -> (3)
        Assert.Equal(new float[] { -3, -3, -3 }, vm.data<float>());

        var batched = torch.arange(12).reshape(2, 2, 3).@float();
        Assert.Equal(new long[] { 2, 2 }, torch.matmul(batched, v).shape); // (2, 2, 3) @ (3) -> (2, 2)
        Assert.Equal(new long[] { 2, 3 }, torch.matmul(torch.tensor(new float[] { 1, 1 }), batched).shape);
        Assert.Equal(new float[] { 3, 5, 7, 15, 17, 19 }, torch.matmul(torch.tensor(new float[] { 1, 1 }), batched).data<float>());
    }

    [Fact]
    public void Matmul_KnownValues_MatchPyTorch()
    {
        // /usr/bin/python3 -c "import torch; a=torch.arange(6.).reshape(2,3); b=torch.arange(12.).reshape(3,4)-5; print(a@b)"
        var a = torch.arange(6).reshape(2, 3).@float();
        var b = (torch.arange(12).reshape(3, 4).@float() - 5.0);
        Assert.Equal(new float[] { 5, 8, 11, 14, -4, 8, 20, 32 }, (a.matmul(b)).data<float>());
    }

    [Fact]
    public void Matmul_MismatchedShapes_ThrowWithBothShapes()
    {
        var e = Assert.Throws<ArgumentException>(() => torch.matmul(torch.zeros(2, 3), torch.zeros(4, 5)));
        Assert.Contains("matmul: shapes [2, 3] and [4, 5] cannot be multiplied (3 != 4)", e.Message);
        Assert.Throws<ArgumentException>(() => torch.matmul(torch.zeros(2, 3, 4), torch.zeros(5, 4, 6)));
        Assert.Throws<ArgumentException>(() => torch.matmul(torch.scalar_tensor(1), torch.zeros(3)));
        Assert.Throws<ArgumentException>(() => torch.matmul(torch.zeros(3), torch.zeros(4)));
        Assert.Throws<ArgumentException>(() => torch.matmul(torch.zeros(2, 3), torch.zeros([3, 2], ScalarType.Float64)));
        Assert.Throws<NotSupportedException>(() => torch.matmul(torch.arange(4).reshape(2, 2), torch.arange(4).reshape(2, 2)));
        Assert.Throws<ArgumentException>(() => torch.mm(torch.zeros(2, 3, 4), torch.zeros(4, 5)));
        Assert.Contains("batch sizes differ", Assert.Throws<ArgumentException>(() => torch.bmm(torch.zeros(2, 3, 4), torch.zeros(3, 4, 5))).Message);
        Assert.Contains("expects 4", Assert.Throws<ArgumentException>(() => torch.nn.functional.linear(torch.zeros(2, 5), torch.zeros(3, 4))).Message);
        Assert.Throws<ArgumentException>(() => torch.nn.functional.linear(torch.zeros(2, 4), torch.zeros(3, 4), torch.zeros(4)));
    }

    [Fact]
    public void MmAndBmm_MatchMatmul()
    {
        var g = new Generator(5);
        var a = Rand(g, ScalarType.Float64, 3, 5, 7);
        var b = Rand(g, ScalarType.Float64, 3, 7, 2);
        Assert.Equal(torch.matmul(a, b).data<double>(), torch.bmm(a, b).data<double>());
        Assert.Equal(torch.matmul(a[1], b[2]).data<double>(), a[1].mm(b[2]).data<double>());
    }

    [Fact]
    public void Linear_WithAndWithoutBias_MatchesNaive()
    {
        var g = new Generator(6);
        var w = Rand(g, ScalarType.Float32, 9, 13);
        var bias = Rand(g, ScalarType.Float32, 9);
        foreach (var shape in new long[][] { [13], [4, 13], [2, 5, 13], [70, 13] })
        {
            var x = Rand(g, ScalarType.Float32, shape);
            var y = torch.nn.functional.linear(x, w);
            Assert.Equal([.. shape[..^1], 9], y.shape);
            var x2 = x.reshape(-1, 13);
            var expected = Naive(x2, w.t());
            AssertClose(expected, y, 13, 1e-6);
            var yb = torch.nn.functional.linear(x, w, bias);
            var bb = bias.data<float>();
            AssertClose(expected.Select((v, i) => v + bb[i % 9]).ToArray(), yb, 13, 1e-6);
        }
        // A non-contiguous input (permuted) takes the copy path.
        var xp = Rand(g, ScalarType.Float32, 13, 6).t();
        AssertClose(Naive(xp, w.t()), torch.nn.functional.linear(xp, w), 13, 1e-6);
    }

    [Fact]
    public void Gemm_AlphaBeta_AccumulatesAndIgnoresNaNsWhenBetaIsZero()
    {
        var g = new Generator(7);
        foreach (var (m, k, n) in new[] { (3, 4, 5), (70, 90, 110) })
        {
            var a = Rand(g, ScalarType.Float64, m, k);
            var b = Rand(g, ScalarType.Float64, k, n);
            var c = Rand(g, ScalarType.Float64, m, n);
            var c0 = c.data<double>();
            var ab = Naive(a, b);
            a.backend.Gemm(a, b, c, 0.5, 2.0);
            AssertClose(ab.Select((v, i) => 0.5 * v + 2.0 * c0[i]).ToArray(), c, k, 1e-14);
            var nan = torch.full([m, n], double.NaN, ScalarType.Float64);
            a.backend.Gemm(a, b, nan, 1.0, 0.0);
            AssertClose(ab, nan, k, 1e-14);
            var acc = torch.ones([m, n], ScalarType.Float64);
            a.backend.Gemm(a, b, acc, 1.0, 1.0);
            AssertClose(ab.Select(v => v + 1).ToArray(), acc, k, 1e-14);
        }
    }

    [Theory]
    [MemberData(nameof(Paths))]
    public void Gemm_EdgeRowPanels_WriteOnlyTheirRows_AndMatchTheSameRowsOfAFullPanelProduct(string path)
    {
        // M not a multiple of the register tile's rows (12 on AVX-512, 6 on AVX2): the last panel of A is merged into C
        // by the micro-kernel for its valid rows only. Rows below M (here: the rest of a larger buffer C is a view of)
        // must stay untouched, and every row must be bitwise the row of the product over 24 rows (whole panels), in
        // every merge mode (store, scale, add, axpy, general) and for both operand layouts of A.
        var g = new Generator(41);
        foreach (var type in new[] { ScalarType.Float32, ScalarType.Float64 })
            foreach (int m in new[] { 5, 7, 13, 23 }) // at least 4 rows and 32^3 multiply-adds: the packed path
                foreach (bool transA in new[] { false, true })
                    foreach (var (alpha, beta) in new[] { (1.0, 0.0), (0.5, 0.0), (1.0, 1.0), (0.5, 1.0), (0.5, 2.0) })
                    {
                        const int k = 70, n = 128, full = 24;
                        var a24 = transA ? Rand(g, type, k, full).mT : Rand(g, type, full, k);
                        var b = Rand(g, type, k, n);
                        var c0 = Rand(g, type, full, n);
                        var want = c0.clone();
                        WithPath(path, () => { a24.backend.Gemm(a24, b, want, alpha, beta); return 0; });
                        var buffer = c0.clone();
                        var c = buffer.narrow(0, 0, m);
                        var a = a24.narrow(0, 0, m);
                        WithPath(path, () => { a.backend.Gemm(a, b, c, alpha, beta); return 0; });
                        var got = buffer.to(ScalarType.Float64).data<double>();
                        var expected = want.to(ScalarType.Float64).data<double>();
                        var untouched = c0.to(ScalarType.Float64).data<double>();
                        for (int i = 0; i < full * n; i++)
                            Assert.True(i < m * n ? got[i] == expected[i] : got[i] == untouched[i],
                                $"{type} m={m} transA={transA} alpha={alpha} beta={beta}: element {i} (row {i / n}) is {got[i]:G10}, expected {(i < m * n ? expected[i] : untouched[i]):G10}");
                    }
    }

    [Fact]
    public void Matmul_EmptyInnerDimension_GivesZeros()
    {
        var c = torch.matmul(torch.zeros(3, 0), torch.zeros(0, 4));
        Assert.Equal(new long[] { 3, 4 }, c.shape);
        Assert.All(c.data<float>(), v => Assert.Equal(0f, v));
    }

    [Fact]
    public void Matmul_Gradients_MatchFiniteDifferences()
    {
        var g = new Generator(8);
        GradCheck.Check(x => torch.matmul(x[0], x[1]), [GradCheck.Input(g, 3, 4), GradCheck.Input(g, 4, 5)]);
        GradCheck.Check(x => torch.matmul(x[0], x[1]), [GradCheck.Input(g, 2, 3, 4), GradCheck.Input(g, 2, 4, 5)]);
        GradCheck.Check(x => torch.matmul(x[0], x[1]), [GradCheck.Input(g, 2, 1, 3, 4), GradCheck.Input(g, 3, 4, 2)]);
        GradCheck.Check(x => torch.matmul(x[0], x[1]), [GradCheck.Input(g, 2, 3, 4), GradCheck.Input(g, 4, 2)]);
        GradCheck.Check(x => torch.matmul(x[0], x[1]), [GradCheck.Input(g, 3, 4), GradCheck.Input(g, 2, 4, 2)]);
    }

    [Fact]
    public void Matmul_Gradients_TransposedAndNonContiguousInputs_MatchFiniteDifferences()
    {
        var g = new Generator(9);
        GradCheck.Check(x => torch.matmul(x[0].mT, x[1].mT), [GradCheck.Input(g, 4, 3), GradCheck.Input(g, 5, 4)]);
        GradCheck.Check(x => torch.matmul(x[0].permute(1, 0, 2), x[1].narrow(2, 1, 3)), [GradCheck.Input(g, 3, 2, 4), GradCheck.Input(g, 2, 4, 5)]);
        GradCheck.Check(x => torch.matmul(x[0].permute(1, 2, 0), x[1]), [GradCheck.Input(g, 4, 2, 3), GradCheck.Input(g, 4, 2)]);
    }

    [Fact]
    public void Matmul_Gradients_OneDimensionalOperands_MatchFiniteDifferences()
    {
        var g = new Generator(10);
        GradCheck.Check(x => torch.matmul(x[0], x[1]), [GradCheck.Input(g, 4), GradCheck.Input(g, 4)]);
        GradCheck.Check(x => torch.matmul(x[0], x[1]), [GradCheck.Input(g, 3, 4), GradCheck.Input(g, 4)]);
        GradCheck.Check(x => torch.matmul(x[0], x[1]), [GradCheck.Input(g, 4), GradCheck.Input(g, 2, 4, 3)]);
        GradCheck.Check(x => torch.bmm(x[0], x[1]), [GradCheck.Input(g, 2, 3, 4), GradCheck.Input(g, 2, 4, 2)]);
    }

    [Fact]
    public void Linear_Gradients_MatchFiniteDifferences()
    {
        var g = new Generator(11);
        GradCheck.Check(x => torch.nn.functional.linear(x[0], x[1], x[2]), [GradCheck.Input(g, 2, 3, 4), GradCheck.Input(g, 5, 4), GradCheck.Input(g, 5)]);
        GradCheck.Check(x => torch.nn.functional.linear(x[0], x[1]), [GradCheck.Input(g, 3, 4), GradCheck.Input(g, 5, 4)]);
        GradCheck.Check(x => torch.nn.functional.linear(x[0], x[1], x[2]), [GradCheck.Input(g, 4), GradCheck.Input(g, 5, 4), GradCheck.Input(g, 5)]);
        // Non-contiguous input and a transposed weight view.
        GradCheck.Check(x => torch.nn.functional.linear(x[0].permute(1, 2, 0), x[1].t(), x[2]),
            [GradCheck.Input(g, 4, 2, 3), GradCheck.Input(g, 4, 5), GradCheck.Input(g, 5)]);
    }

    [Fact]
    public void Matmul_SameInputsTwice_IsBitwiseEqual()
    {
        var g = new Generator(12);
        var a = Rand(g, ScalarType.Float32, 257, 300);
        var b = Rand(g, ScalarType.Float32, 300, 190);
        Assert.Equal(torch.matmul(a, b).data<float>(), torch.matmul(a, b).data<float>());
    }

    [Theory]
    [MemberData(nameof(Paths))]
    public void Matmul_ResultIsIndependentOfThreadCount(string path)
    {
        var g = new Generator(13);
        var cases = new (Tensor a, Tensor b)[]
        {
            (Rand(g, ScalarType.Float32, 257, 300), Rand(g, ScalarType.Float32, 300, 190)),
            (Rand(g, ScalarType.Float32, 300, 190).mT, Rand(g, ScalarType.Float32, 300, 700)),
            (Rand(g, ScalarType.Float64, 3, 65, 130), Rand(g, ScalarType.Float64, 3, 130, 70)),
            (Rand(g, ScalarType.Float32, 1, 2000), Rand(g, ScalarType.Float32, 900, 2000).mT),
        };
        foreach (var (a, b) in cases)
        {
            double[] Run(int threads)
            {
                using var _ = ParallelFor.WithThreads(threads);
                return WithPath(path, () => torch.matmul(a, b)).to(ScalarType.Float64).data<double>();
            }
            var one = Run(1);
            Assert.Equal(one, Run(2));
            Assert.Equal(one, Run(3));
        }
    }

    [Theory]
    [InlineData(ScalarType.Float32, 37)] // vector part and a scalar tail
    [InlineData(ScalarType.Float64, 16)] // whole vectors only
    public void Linear_OneRow_ColumnsAreBitwiseTheOneColumnProducts(ScalarType dtype, int k)
    {
        // The matrix-vector (decode) path computes four output columns per pass over x; each column must still be
        // summed exactly as a product with that column alone.
        var g = new Generator(31);
        var x = torch.randn([1, k], dtype, g);
        var w = torch.randn([11, k], dtype, g); // 11 columns: two groups of four and three single ones
        var all = torch.nn.functional.linear(x, w).to(ScalarType.Float64).data<double>();
        for (int j = 0; j < 11; j++)
            Assert.Equal(torch.nn.functional.linear(x, w.narrow(0, j, 1)).to(ScalarType.Float64).data<double>()[0], all[j]);
        var naive = Naive(x, w.transpose(0, 1).contiguous());
        for (int j = 0; j < 11; j++) Assert.Equal(naive[j], all[j], dtype == ScalarType.Float32 ? 1e-4 : 1e-12);
    }

    private static T WithBlocks<T>(GemmBlocks blocks, Func<T> f)
    {
        var old = CpuBackend.GemmBlocksOverride;
        CpuBackend.GemmBlocksOverride = blocks;
        try { return f(); }
        finally { CpuBackend.GemmBlocksOverride = old; }
    }

    [Theory]
    [MemberData(nameof(Paths))]
    public void Matmul_TinyAndOddCacheBlocks_MatchNaiveLoopsAndAreIndependentOfThreadCount(string path)
    {
        // kc 8 / one register row of A / one register tile of B, and odd sizes (kc 24, nc not a tile multiple): many
        // K, M and N blocks with partial ones, all transposes; each element's summation order must not depend on threads.
        AllTransposes_MatchNaiveLoops_AndOneThreadBitwise(path, seed: 14,
            [new GemmBlocks(8, 1, 1), new GemmBlocks(24, 3, 40), new GemmBlocks(2048, 16384, 16384)],
            [(37, 61, 70), (130, 33, 17), (25, 200, 90)]);
    }

    [Theory]
    [MemberData(nameof(Paths))]
    public void Matmul_OperandPackedOnceForAllThreads_MatchesNaiveLoopsAndIsIndependentOfThreadCount(string path)
    {
        // Products big enough to be split over threads (split along N: A is packed once and shared; along M: B is), with
        // several K blocks (kc 24, and the default 256 with K = 300), many row and column panels and partial ones, all
        // transposes: the shared panels must give each element exactly the one-thread result.
        AllTransposes_MatchNaiveLoops_AndOneThreadBitwise(path, seed: 43,
            [new GemmBlocks(24, 3, 40), GemmBlocks.Default],
            [(203, 100, 301), (301, 100, 203), (50, 300, 290)]);
    }

    [Fact]
    public void Matmul_APackedInsideTheKernels_IsBitwiseTheSeparatelyPackedA_InEveryLayoutMergeModeAndThreadCount()
    {
        // AVX-512: full 12-row panels of a row-major A are read in place and packed by the first column panel's kernels
        // (GemmBlocks.ReadsA, N <= 8 column panels); the rest of the block's column panels read that packed copy. Against
        // PackA (ReadsA off): bitwise the same C for M around panel and mc edges, several K blocks, N below, at and above
        // the limit and not a tile multiple (narrow first panel through the scratch tile), row strides other than K, a
        // strided C, every alpha/beta merge, all four layouts (tn/tt: A is column-major and never read in place) and 1-3
        // threads; and close to the naive loops.
        if (!(System.Runtime.Intrinsics.X86.Avx512F.IsSupported && System.Runtime.Intrinsics.X86.Fma.IsSupported)) return;
        var g = new Generator(47);
        foreach (var blocks in new[] { new GemmBlocks(24, 3, 40), GemmBlocks.Default })
            foreach (var type in new[] { ScalarType.Float32, ScalarType.Float64 })
                foreach (var (m, k, n) in new[] { (13, 70, 20), (25, 300, 128), (61, 100, 256), (37, 50, 257), (130, 33, 90) })
                    for (int tr = 0; tr < 4; tr++)
                    {
                        // A as a view with row stride k + 5 (row-major) or column stride m + 3 (transposed).
                        var a = (tr & 1) == 0 ? Rand(g, type, m, k + 5).narrow(1, 2, k) : Rand(g, type, k, m + 3).narrow(1, 1, m).mT;
                        var b = (tr & 2) == 0 ? Rand(g, type, k, n) : Rand(g, type, n, k).mT;
                        var (alpha, beta) = new[] { (1.0, 0.0), (0.5, 0.0), (1.0, 1.0), (0.5, 1.0), (0.5, 2.0) }[(m + tr) % 5];
                        bool stridedC = tr == 1;
                        var c0 = stridedC ? Rand(g, type, n, m).mT : Rand(g, type, m, n);
                        double[] Run(bool readsA, int threads)
                        {
                            using var _ = ParallelFor.WithThreads(threads);
                            var c = stridedC ? c0.clone().contiguous().mT.contiguous().mT : c0.clone();
                            WithBlocks(blocks with { ReadsA = readsA }, () => WithPath("Avx512", () => { a.backend.Gemm(a, b, c, alpha, beta); return 0; }));
                            return c.to(ScalarType.Float64).data<double>();
                        }
                        var packed = Run(false, 1);
                        var naive = Naive(a.contiguous(), b.contiguous());
                        var old = c0.to(ScalarType.Float64).data<double>();
                        AssertClose(naive.Select((v, i) => alpha * v + beta * old[i]).ToArray(), torch.tensor(packed), k, Tol(type) * 4);
                        foreach (int threads in new[] { 1, 2, 3 })
                            Assert.True(packed.SequenceEqual(Run(true, threads)),
                                $"{type} blocks {blocks} ({m},{k},{n}) layout {tr} alpha {alpha} beta {beta} threads {threads}: A packed by the kernels differs");
                    }
    }

    /// <summary>
    /// For every cache blocking, dtype, shape and transpose of A and B: the product matches the naive loops, and 2 and 3
    /// threads give bitwise the one-thread result.
    /// </summary>
    private static void AllTransposes_MatchNaiveLoops_AndOneThreadBitwise(string path, long seed, GemmBlocks[] blockings, (int M, int K, int N)[] shapes)
    {
        var g = new Generator(seed);
        foreach (var blocks in blockings)
            foreach (var type in new[] { ScalarType.Float32, ScalarType.Float64 })
                foreach (var (m, k, n) in shapes)
                    for (int tr = 0; tr < 4; tr++)
                    {
                        var a = (tr & 1) == 0 ? Rand(g, type, m, k) : Rand(g, type, k, m).mT;
                        var b = (tr & 2) == 0 ? Rand(g, type, k, n) : Rand(g, type, n, k).mT;
                        double[] Run(int threads)
                        {
                            using var _ = ParallelFor.WithThreads(threads);
                            return WithBlocks(blocks, () => WithPath(path, () => torch.matmul(a, b))).to(ScalarType.Float64).data<double>();
                        }
                        var one = Run(1);
                        AssertClose(Naive(a, b), torch.tensor(one), k, Tol(type));
                        Assert.Equal(one, Run(2));
                        Assert.Equal(one, Run(3));
                    }
    }

    [Fact]
    public void Matmul_KcBlocks_SetTheSummationOrder_OtherBlocksDoNot()
    {
        // kc splits K into partial sums (a different rounding from one pass); mc and nc only reorder whole tiles.
        if (!(System.Runtime.Intrinsics.X86.Avx2.IsSupported && System.Runtime.Intrinsics.X86.Fma.IsSupported)) return;
        var g = new Generator(15);
        var a = Rand(g, ScalarType.Float32, 100, 600);
        var b = Rand(g, ScalarType.Float32, 600, 90);
        float[] Run(GemmBlocks blocks) => WithBlocks(blocks, () => torch.matmul(a, b)).data<float>();
        var reference = Run(GemmBlocks.Default);
        Assert.Equal(reference, Run(GemmBlocks.Default with { AKiB = 2, Nc = 40 }));
        Assert.NotEqual(reference, Run(GemmBlocks.Default with { Kc = 8 }));
    }

    [Fact]
    public void GemmBlocks_Parse_ReadsThreeIntegersAndDefaultsWhenUnset()
    {
        Assert.Equal(GemmBlocks.Default, GemmBlocks.Parse(null));
        Assert.Equal(GemmBlocks.Default, GemmBlocks.Parse("  "));
        Assert.Equal(new GemmBlocks(256, 480, 2048), GemmBlocks.Default);
        Assert.Equal(new GemmBlocks(128, 960, 1024), GemmBlocks.Parse("128, 960 ,1024"));
        Assert.Equal(new GemmBlocks(8, 1, 1), GemmBlocks.Parse("8,1,1"));
        Assert.Equal(new GemmBlocks(2048, 16384, 16384), GemmBlocks.Parse("2048,16384,16384"));
    }

    [Theory]
    [InlineData("256,480")]
    [InlineData("256,480,2048,1")]
    [InlineData("4,480,2048")]
    [InlineData("4096,480,2048")]
    [InlineData("256,0,2048")]
    [InlineData("256,480,-1")]
    [InlineData("kc=256,480,2048")]
    public void GemmBlocks_Parse_BadText_NamesTheVariableAndTheExpectedForm(string text)
    {
        var e = Assert.Throws<ArgumentException>(() => GemmBlocks.Parse(text));
        Assert.Equal($"PLUGINMOE_GEMM_BLOCKING='{text}' is not valid: give kc,aKiB,nc as three integers (kc 8-2048, A block 1-16384 KiB, " +
            "nc 1-16384), e.g. 256,480,2048 (the defaults), or unset it", e.Message);
    }
}
