// Tests for the grouped GEMM (torch.grouped_mm, F.grouped_linear and IBackend.GemmGroup): golden values from a
// per-group loop of linear/matmul (empty, tiny and packed-path groups, transposed weights), gradients against the
// loop and against float64 finite differences, thread-count independence and the error messages.
using PluginMoE.Tensors.Backends;
using static PluginMoE.Tensors.torch;
using F = PluginMoE.Tensors.torch.nn.functional;

namespace PluginMoE.Tensors.Tests.Ops;

public class GroupedMatmulTests
{
    private static readonly long[] Counts = [37, 0, 130, 3, 64]; // an empty, a direct-path and packed-path groups

    private static Tensor[] Weights(int groups, int outF, int inF, ScalarType dtype, int seed) =>
        [.. Enumerable.Range(0, groups).Select(e => randn([outF, inF], dtype, new Generator(seed + e)).requires_grad_())];

    /// <summary>The reference: one F.linear per group on its rows, concatenated.</summary>
    private static Tensor LoopLinear(Tensor x, Tensor[] w, long[] counts)
    {
        var outs = new List<Tensor>();
        long start = 0;
        for (int e = 0; e < w.Length; e++)
        {
            if (counts[e] > 0) outs.Add(F.linear(x.narrow(0, start, counts[e]), w[e]));
            start += counts[e];
        }
        return cat([.. outs], 0);
    }

    private static double MaxDiff(Tensor a, Tensor b) => (a.to(ScalarType.Float64) - b.to(ScalarType.Float64)).abs().max().ToDouble();

    [Fact]
    public void GroupedLinear_Float32_EqualsLoopOfLinearPerGroup_ValuesAndGradients()
    {
        long m = Counts.Sum();
        var x = randn([m, 48], generator: new Generator(1)).requires_grad_();
        var w = Weights(Counts.Length, 80, 48, ScalarType.Float32, 10);
        var up = randn([m, 80], generator: new Generator(2));

        var y = F.grouped_linear(x, w, Counts);
        (y * up).sum().backward();
        var gx = x.grad!.clone();
        var gw = w.Select(t => t.grad?.clone()).ToArray();
        x.grad = null;
        foreach (var t in w) t.grad = null;
        var expected = LoopLinear(x, w, Counts);
        (expected * up).sum().backward();

        Assert.Equal([m, 80L], y.shape);
        Assert.True(MaxDiff(y, expected) < 1e-4, $"forward differs by {MaxDiff(y, expected)}");
        Assert.True(MaxDiff(gx, x.grad!) < 1e-4, $"input grad differs by {MaxDiff(gx, x.grad!)}");
        for (int e = 0; e < w.Length; e++)
        {
            if (Counts[e] == 0)
            {
                Assert.Null(gw[e]);       // an unused weight gets no gradient, as in the loop
                Assert.Null(w[e].grad);
                continue;
            }
            Assert.True(MaxDiff(gw[e]!, w[e].grad!) < 1e-3, $"weight {e} grad differs by {MaxDiff(gw[e]!, w[e].grad!)}");
        }
    }

    [Fact]
    public void GroupedMm_StackedAndTransposedWeights_EqualsMatmulPerGroup_AndEmptyGroupGetsZeroGradient()
    {
        long m = Counts.Sum();
        var x = randn([m, 40], ScalarType.Float64, new Generator(3)).requires_grad_();
        // (E, N, K) transposed to (E, K, N): a strided stack, never copied.
        var wT = randn([Counts.Length, 24, 40], ScalarType.Float64, new Generator(4)).requires_grad_();
        var y = grouped_mm(x, wT.transpose(1, 2), Counts);
        var up = randn([m, 24], ScalarType.Float64, new Generator(5));
        (y * up).sum().backward();

        var expectedRows = new List<Tensor>();
        long start = 0;
        for (int e = 0; e < Counts.Length; e++)
        {
            if (Counts[e] > 0) expectedRows.Add(matmul(x.narrow(0, start, Counts[e]).detach(), wT.detach()[e].t()));
            start += Counts[e];
        }
        Assert.True(MaxDiff(y, cat([.. expectedRows], 0)) < 1e-12);
        Assert.Equal([(long)Counts.Length, 24, 40], wT.grad!.shape);
        Assert.Equal(0.0, wT.grad![1].abs().max().ToDouble());
        Assert.True(wT.grad![2].abs().max().ToDouble() > 0);
    }

    [Fact]
    public void GroupedLinear_Float64_MatchesFiniteDifferences()
    {
        long[] counts = [2, 0, 3, 1];
        var x = GradCheck.Input(new Generator(6), 6, 5);
        var ws = Enumerable.Range(0, 4).Select(e => GradCheck.Input(new Generator(20 + e), 3, 5)).ToArray();
        GradCheck.Check(t => F.grouped_linear(t[0], t[1..], counts), [x, .. ws]);
    }

    [Fact]
    public void GroupedMm_Float64_MatchesFiniteDifferences()
    {
        long[] counts = [3, 0, 2];
        var x = GradCheck.Input(new Generator(7), 5, 4);
        var w = GradCheck.Input(new Generator(8), 3, 4, 6);
        GradCheck.Check(t => grouped_mm(t[0], t[1], counts), [x, w]);
    }

    [Fact]
    public void GroupedLinear_ResultDoesNotDependOnThreadCount()
    {
        long m = Counts.Sum();
        var x = randn([m, 96], generator: new Generator(9));
        var w = Weights(Counts.Length, 160, 96, ScalarType.Float32, 30);
        Tensor one, two;
        using (ParallelFor.WithThreads(1)) one = F.grouped_linear(x, w, Counts);
        using (ParallelFor.WithThreads(2)) two = F.grouped_linear(x, w, Counts);
        Assert.Equal(one.data<float>(), two.data<float>());
    }

    [Fact]
    public void GemmGroup_EqualsOneGemmPerEntry_AndChecksEveryEntry()
    {
        // What the interface's default does (one Gemm per entry) against the CPU's tiled job, with a transposed B.
        var a = new[] { randn([70, 33], generator: new Generator(10)), randn([5, 33], generator: new Generator(11)) };
        var b = new[] { randn([33, 50], generator: new Generator(12)), randn([40, 33], generator: new Generator(13)).t() };
        var grouped = new[] { zeros([70, 50]), zeros([5, 40]) };
        var single = new[] { zeros([70, 50]), zeros([5, 40]) };
        IBackend cpu = a[0].backend;
        cpu.GemmGroup(a, b, grouped);
        for (int i = 0; i < 2; i++) cpu.Gemm(a[i], b[i], single[i]);
        Assert.True(MaxDiff(grouped[0], single[0]) < 1e-4 && MaxDiff(grouped[1], single[1]) < 1e-4);

        var bad = Assert.Throws<ArgumentException>(() => cpu.GemmGroup(a, b, [zeros([70, 50]), zeros([5, 41])]));
        Assert.Contains("[5, 33] @ [33, 40] -> [5, 41] do not fit", bad.Message);
        var count = Assert.Throws<ArgumentException>(() => cpu.GemmGroup(a, b, [zeros([70, 50])]));
        Assert.Contains("expected one a, b and c per product, got 2, 2 and 1", count.Message);
    }

    [Fact]
    public void GroupedLinear_BadCountsOrWeights_NameTheProblem()
    {
        var x = randn([5, 4]);
        var w = new[] { randn([3, 4]), randn([3, 4]) };
        var e1 = Assert.Throws<ArgumentException>(() => F.grouped_linear(x, w, [2, 2]));
        Assert.Contains("the group counts sum to 4 but the input has 5 rows", e1.Message);
        var e2 = Assert.Throws<ArgumentException>(() => F.grouped_linear(x, w, [5]));
        Assert.Contains("1 group counts given for 2 weight matrices", e2.Message);
        var e3 = Assert.Throws<ArgumentException>(() => F.grouped_linear(x, [w[0], randn([2, 4])], [2, 3]));
        Assert.Contains("weight 1 is float32 [2, 4]", e3.Message);
        var e4 = Assert.Throws<ArgumentException>(() => F.grouped_linear(randn([5, 6]), w, [2, 3]));
        Assert.Contains("has 6 features but the weights [3, 4] expect 4 (in_features)", e4.Message);
        var e5 = Assert.Throws<ArgumentException>(() => grouped_mm(x, randn([2, 4]), [2, 3]));
        Assert.Contains("weights must be 3-D (groups, K, N)", e5.Message);
        var e6 = Assert.Throws<ArgumentException>(() => F.grouped_linear(x, w, [-1, 6]));
        Assert.Contains("group 0 has a negative row count", e6.Message);
    }
}
