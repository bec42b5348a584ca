// Tests for F.grouped_swiglu_ffn (the fused grouped SwiGLU expert MLP, IBackend.GroupedSwiGluFfn): values and every
// gradient against the unfused composition grouped_linear -> swiglu -> grouped_linear (float32 and float64, groups that
// span several row blocks and weight-gradient items, an empty group), float64 finite differences, thread-count
// independence, weights packed once per op against packed again for every row block (bitwise equal, also with cache blocks
// smaller than the widths), odd widths where gate and up run as one product of width 2H (and dx as one with K = 2H)
// and the error messages.
using PluginMoE.Tensors.Backends;
using static PluginMoE.Tensors.torch;
using F = PluginMoE.Tensors.torch.nn.functional;

namespace PluginMoE.Tensors.Tests.Ops;

public class GroupedSwiGluFfnTests
{
    // An empty group, a direct-path group, and groups over several 512-row weight-gradient items and row blocks.
    private static readonly long[] Counts = [700, 0, 5, 1100, 40];

    private sealed record Weights(Tensor[] Gate, Tensor[] Up, Tensor[] Down)
    {
        public IEnumerable<Tensor> All => Gate.Concat(Up).Concat(Down);
    }

    private static Weights MakeWeights(int experts, int h, int d, ScalarType dtype, int seed)
    {
        Tensor[] Make(int rows, int cols, int s) =>
            [.. Enumerable.Range(0, experts).Select(e => (randn([rows, cols], dtype, new Generator(s + e)) * (1 / Math.Sqrt(cols))).detach().requires_grad_())];
        return new Weights(Make(h, d, seed), Make(h, d, seed + 100), Make(d, h, seed + 200));
    }

    private static Tensor Unfused(Tensor x, Weights w, long[] counts) =>
        F.grouped_linear(F.swiglu(F.grouped_linear(x, w.Gate, counts), F.grouped_linear(x, w.Up, counts)), w.Down, counts);

    private static Tensor Fused(Tensor x, Weights w, long[] counts) => F.grouped_swiglu_ffn(x, w.Gate, w.Up, w.Down, counts);

    private static double MaxDiff(Tensor a, Tensor b) => (a.to(ScalarType.Float64) - b.to(ScalarType.Float64)).abs().max().ToDouble();

    private static double MaxAbs(Tensor a) => a.to(ScalarType.Float64).abs().max().ToDouble();

    /// <summary>Output and the gradients of (x, every weight) for sum(f(x) * probe).</summary>
    private static (Tensor Y, Tensor?[] Grads) Run(Func<Tensor, Weights, long[], Tensor> f, Tensor x, Weights w, Tensor probe)
    {
        x.grad = null;
        foreach (var t in w.All) t.grad = null;
        var y = f(x, w, Counts);
        (y * probe).sum().backward();
        return (y.detach().clone(), [x.grad?.clone(), .. w.All.Select(t => t.grad?.clone())]);
    }

    [Theory]
    [InlineData(ScalarType.Float32, 2e-5)]
    [InlineData(ScalarType.Float64, 1e-12)]
    public void Fused_EqualsUnfusedComposition_ValuesAndEveryGradient(ScalarType dtype, double rel)
    {
        long m = Counts.Sum();
        const int d = 32, h = 128;
        var x = randn([m, d], dtype, new Generator(1)).requires_grad_();
        var w = MakeWeights(Counts.Length, h, d, dtype, 10);
        var probe = randn([m, d], dtype, new Generator(2));

        var (yf, gf) = Run(Fused, x, w, probe);
        var (yu, gu) = Run(Unfused, x, w, probe);

        Assert.Equal([m, (long)d], yf.shape);
        Assert.True(MaxDiff(yf, yu) <= rel * MaxAbs(yu), $"forward differs by {MaxDiff(yf, yu)} (max {MaxAbs(yu)})");
        for (int i = 0; i < gf.Length; i++)
        {
            int expert = i == 0 ? -1 : (i - 1) % Counts.Length;
            if (expert >= 0 && Counts[expert] == 0)
            {
                Assert.Null(gf[i]); // an expert without rows: its weights get no gradient, as with grouped_linear
                Assert.Null(gu[i]);
                continue;
            }
            Assert.True(MaxDiff(gf[i]!, gu[i]!) <= rel * MaxAbs(gu[i]!) * 4, $"gradient {i} differs by {MaxDiff(gf[i]!, gu[i]!)} (max {MaxAbs(gu[i]!)})");
        }
    }

    [Theory]
    [InlineData(ScalarType.Float32, 1, 2e-5)]
    [InlineData(ScalarType.Float32, 2, 2e-5)]
    [InlineData(ScalarType.Float64, 2, 1e-12)]
    public void Fused_OddWidths_EqualUnfused_ValuesAndEveryGradient(ScalarType dtype, int threads, double rel)
    {
        // d = 37, H = 301: edge panels everywhere; the one gate-up product is 602 wide and the input gradient's K = 2H
        // spans three K blocks with the gate/up seam inside one (the unfused path sums the two products instead).
        using var _ = ParallelFor.WithThreads(threads);
        long m = Counts.Sum();
        const int d = 37, h = 301;
        var x = randn([m, d], dtype, new Generator(11)).requires_grad_();
        var w = MakeWeights(Counts.Length, h, d, dtype, 60);
        var probe = randn([m, d], dtype, new Generator(12));
        var (yf, gf) = Run(Fused, x, w, probe);
        var (yu, gu) = Run(Unfused, x, w, probe);
        Assert.True(MaxDiff(yf, yu) <= rel * MaxAbs(yu), $"forward differs by {MaxDiff(yf, yu)} (max {MaxAbs(yu)})");
        for (int i = 0; i < gf.Length; i++)
        {
            if (gu[i] is null)
            {
                Assert.Null(gf[i]);
                continue;
            }
            Assert.True(MaxDiff(gf[i]!, gu[i]!) <= rel * MaxAbs(gu[i]!) * 4, $"gradient {i} differs by {MaxDiff(gf[i]!, gu[i]!)} (max {MaxAbs(gu[i]!)})");
        }
    }

    [Fact]
    public void Fused_Float64_MatchesFiniteDifferences()
    {
        long[] counts = [3, 0, 4];
        const int d = 3, h = 5;
        var g = new Generator(7);
        var x = GradCheck.Input(g, counts.Sum(), d);
        var ws = Enumerable.Range(0, 3).Select(_ => GradCheck.Input(g, h, d)).Concat(Enumerable.Range(0, 3).Select(_ => GradCheck.Input(g, h, d)))
            .Concat(Enumerable.Range(0, 3).Select(_ => GradCheck.Input(g, d, h))).ToArray();
        GradCheck.Check(t => F.grouped_swiglu_ffn(t[0], [t[1], t[2], t[3]], [t[4], t[5], t[6]], [t[7], t[8], t[9]], counts), [x, .. ws]);
    }

    [Fact]
    public void Fused_OneAndTwoThreads_GiveBitwiseEqualValuesAndGradients()
    {
        long m = Counts.Sum();
        var x = randn([m, 32], generator: new Generator(3)).requires_grad_();
        var w = MakeWeights(Counts.Length, 96, 32, ScalarType.Float32, 20);
        var probe = randn([m, 32], generator: new Generator(4));
        (Tensor, Tensor?[]) one, two;
        using (ParallelFor.WithThreads(1)) one = Run(Fused, x, w, probe);
        using (ParallelFor.WithThreads(2)) two = Run(Fused, x, w, probe);
        Assert.Equal(one.Item1.data<float>(), two.Item1.data<float>());
        for (int i = 0; i < one.Item2.Length; i++)
        {
            if (one.Item2[i] is null) Assert.Null(two.Item2[i]);
            else Assert.Equal(one.Item2[i]!.data<float>(), two.Item2[i]!.data<float>());
        }
    }

    [Theory]
    [InlineData(ScalarType.Float32, 1)]
    [InlineData(ScalarType.Float32, 2)]
    [InlineData(ScalarType.Float64, 2)]
    public void PrepackedWeights_EqualPackingPerRowBlock_Bitwise(ScalarType dtype, int threads)
    {
        // d = 40 and h = 300: edge panels in both directions, and h > kc (256), so Wd^T and the dx products span two K blocks;
        // the gate weights of the second expert on are transposed views (column-major operands).
        long m = Counts.Sum();
        const int d = 40, h = 300;
        var x = randn([m, d], dtype, new Generator(6)).requires_grad_();
        var w = MakeWeights(Counts.Length, h, d, dtype, 40);
        var gateT = w.Gate.Select((g, e) => e == 0 ? g : g.detach().t().contiguous().t().requires_grad_()).ToArray();
        w = w with { Gate = gateT };
        var probe = randn([m, d], dtype, new Generator(7));
        (Tensor Y, Tensor?[] Grads) once, perBlock;
        using (ParallelFor.WithThreads(threads))
        {
            Assert.True(CpuBackend.FfnPrepackWeights);
            once = Run(Fused, x, w, probe);
            try
            {
                CpuBackend.FfnPrepackWeights = false;
                perBlock = Run(Fused, x, w, probe);
            }
            finally
            {
                CpuBackend.FfnPrepackWeights = true;
            }
        }
        Assert.Equal(perBlock.Y.to(ScalarType.Float64).data<double>(), once.Y.to(ScalarType.Float64).data<double>());
        for (int i = 0; i < once.Grads.Length; i++)
        {
            if (perBlock.Grads[i] is null) Assert.Null(once.Grads[i]);
            else Assert.Equal(perBlock.Grads[i]!.to(ScalarType.Float64).data<double>(), once.Grads[i]!.to(ScalarType.Float64).data<double>());
        }
    }

    [Theory]
    [InlineData(ScalarType.Float32)]
    [InlineData(ScalarType.Float64)]
    public void PrepackedWeights_SeveralNcAndKcBlocks_EqualPackingPerRowBlock_Bitwise(ScalarType dtype)
    {
        // Cache blocks far below the widths (kc 64, nc 48 -> 64 columns for float, 48 for double): every weight operand spans
        // several (jc, pc) panels, so the operand packed once must be laid out exactly as the shared Goto loops read it.
        long[] counts = [400, 7, 260];
        const int d = 72, h = 200;
        var x = randn([counts.Sum(), d], dtype, new Generator(8)).requires_grad_();
        var w = MakeWeights(counts.Length, h, d, dtype, 50);
        var probe = randn([counts.Sum(), d], dtype, new Generator(9));
        Tensor Go(Tensor t, Weights ws, long[] c) => F.grouped_swiglu_ffn(t, ws.Gate, ws.Up, ws.Down, c);
        (Tensor Y, Tensor?[] Grads) once, perBlock, unfused;
        var saved = CpuBackend.GemmBlocksOverride;
        try
        {
            CpuBackend.GemmBlocksOverride = new GemmBlocks(64, 8, 48);
            once = Run((t, ws, _) => Go(t, ws, counts), x, w, probe);
            unfused = Run((t, ws, _) => Unfused(t, ws, counts), x, w, probe);
            CpuBackend.FfnPrepackWeights = false;
            perBlock = Run((t, ws, _) => Go(t, ws, counts), x, w, probe);
        }
        finally
        {
            CpuBackend.FfnPrepackWeights = true;
            CpuBackend.GemmBlocksOverride = saved;
        }
        Assert.Equal(perBlock.Y.to(ScalarType.Float64).data<double>(), once.Y.to(ScalarType.Float64).data<double>());
        Assert.True(MaxDiff(once.Y, unfused.Y) <= (dtype == ScalarType.Float32 ? 1e-4 : 1e-12) * Math.Max(1, MaxAbs(unfused.Y)));
        for (int i = 0; i < once.Grads.Length; i++)
        {
            if (perBlock.Grads[i] is null) Assert.Null(once.Grads[i]);
            else Assert.Equal(perBlock.Grads[i]!.to(ScalarType.Float64).data<double>(), once.Grads[i]!.to(ScalarType.Float64).data<double>());
        }
    }

    [Fact]
    public void Fused_StridedInputAndGradient_EqualContiguous()
    {
        long[] counts = [20, 30];
        var w = MakeWeights(2, 24, 8, ScalarType.Float64, 30);
        var wide = randn([50, 16], ScalarType.Float64, new Generator(5));
        var strided = wide.narrow(1, 4, 8); // row stride 16
        var y1 = F.grouped_swiglu_ffn(strided, w.Gate, w.Up, w.Down, counts);
        var y2 = F.grouped_swiglu_ffn(strided.contiguous(), w.Gate, w.Up, w.Down, counts);
        Assert.True(MaxDiff(y1, y2) < 1e-14);
    }

    [Fact]
    public void BadShapesAndCounts_GiveClearErrors()
    {
        var w = MakeWeights(2, 6, 4, ScalarType.Float32, 40);
        var x = randn([5, 4]);
        var e1 = Assert.Throws<ArgumentException>(() => F.grouped_swiglu_ffn(x, w.Gate, w.Up, [w.Down[0], w.Gate[1]], [2, 3]));
        Assert.Equal("grouped_swiglu_ffn: down weight 1 has shape [6, 4], expected [4, 6]: gate and up are [H, d], down [d, H], with d = 4 the input's features and H taken from gate weight 0", e1.Message);
        var e2 = Assert.Throws<ArgumentException>(() => F.grouped_swiglu_ffn(x, w.Gate, w.Up, w.Down, [2, 2]));
        Assert.Contains("the group counts sum to 4 but the input has 5 rows", e2.Message);
        var e3 = Assert.Throws<ArgumentException>(() => F.grouped_swiglu_ffn(x, w.Gate, [w.Up[0]], w.Down, [2, 3]));
        Assert.Equal("grouped_swiglu_ffn: got 2 gate, 1 up and 2 down weights; give one of each per expert (at least one expert)", e3.Message);
    }
}
