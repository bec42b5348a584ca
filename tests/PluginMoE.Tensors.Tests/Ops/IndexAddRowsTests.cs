// Tests for F.index_add_rows, the fused weighted row scatter-add (an MoE layer's combine), and the fused backward of a row
// gather (index_select along dim 0): equivalence with the unfused composite input.index_add(0, index, source * w[:, None])
// (bitwise on the CPU backend), finite differences in float64, duplicate and unused destination rows, 1 vs 2 threads.
using PluginMoE.Tensors.Backends;
using F = PluginMoE.Tensors.torch.nn.functional;

namespace PluginMoE.Tensors.Tests.Ops;

public class IndexAddRowsTests
{
    private static Tensor Composite(Tensor index, Tensor source, Tensor? weight, long rows, Tensor? input)
    {
        var ys = weight is null ? source : source * weight.unsqueeze(1);
        return (input ?? torch.zeros([rows, source.size(1)], source.dtype)).index_add(0, index, ys);
    }

    // Duplicates (row 1 three times, row 4 twice), an unused row (3), R = 7 > rows = 5 and an odd width.
    private static readonly long[] Index = [1, 4, 1, 0, 2, 1, 4];

    [Theory]
    [InlineData(1, false, false)]
    [InlineData(1, true, false)]
    [InlineData(2, false, true)]
    [InlineData(2, true, true)]
    public void Forward_IsBitwiseTheComposite(int threads, bool withInput, bool withWeight)
    {
        using var _ = ParallelFor.WithThreads(threads);
        var g = new Generator(7);
        var src = torch.randn([7, 37], ScalarType.Float32, g);
        var w = withWeight ? torch.rand([7], ScalarType.Float32, g) : null;
        var input = withInput ? torch.randn([5, 37], ScalarType.Float32, g) : null;
        var idx = torch.tensor(Index, [7]);
        var fused = F.index_add_rows(idx, src, w, 5, input);
        var reference = Composite(idx, src, w, 5, input);
        Assert.Equal(new long[] { 5, 37 }, fused.shape);
        Assert.Equal(reference.data<float>(), fused.data<float>());
        if (!withInput) Assert.All(fused[3].data<float>(), v => Assert.Equal(0f, v)); // unused row: zeros
    }

    [Fact]
    public void Backward_MatchesTheComposite_AndIsThreadIndependent()
    {
        float[][] Grads(int threads, bool fused)
        {
            using var _ = ParallelFor.WithThreads(threads);
            var g = new Generator(11);
            var src = torch.randn([7, 300], ScalarType.Float32, g).requires_grad_();
            var w = torch.rand([7], ScalarType.Float32, g).requires_grad_();
            var input = torch.randn([5, 300], ScalarType.Float32, g).requires_grad_();
            var dy = torch.randn([5, 300], ScalarType.Float32, g);
            var idx = torch.tensor(Index, [7]);
            var y = fused ? F.index_add_rows(idx, src, w, 5, input) : Composite(idx, src, w, 5, input);
            (y * dy).sum().backward();
            return [src.grad!.data<float>(), w.grad!.data<float>(), input.grad!.data<float>()];
        }
        var one = Grads(1, true);
        var two = Grads(2, true);
        var reference = Grads(1, false);
        for (int k = 0; k < 3; k++) Assert.Equal(one[k], two[k]);
        Assert.Equal(reference[0], one[0]); // w * g[index]: the same single product
        Assert.Equal(reference[2], one[2]);
        for (int r = 0; r < 7; r++) Assert.Equal(reference[1][r], one[1][r], 1e-3f); // a dot product, summed in another order
    }

    [Fact]
    public void Gradients_MatchFiniteDifferences()
    {
        var g = new Generator(3);
        var src = GradCheck.Input(g, 7, 3);
        var w = GradCheck.Input(g, 7);
        var input = GradCheck.Input(g, 5, 3);
        var idx = torch.tensor(Index, [7]);
        GradCheck.Check(a => F.index_add_rows(idx, a[0], a[1], 5, a[2]), [src, w, input]);
        GradCheck.Check(a => F.index_add_rows(idx, a[0], a[1], 5), [src, w]);
        GradCheck.Check(a => F.index_add_rows(idx, a[0], null, 5), [src]);
    }

    [Fact]
    public void EmptySource_GivesTheInputOrZeros()
    {
        var src = torch.zeros([0, 4]).requires_grad_();
        var w = torch.zeros([0]).requires_grad_();
        var idx = torch.zeros([0], ScalarType.Int64);
        var y = F.index_add_rows(idx, src, w, 3);
        Assert.Equal(new long[] { 3, 4 }, y.shape);
        Assert.All(y.data<float>(), v => Assert.Equal(0f, v));
        var input = torch.arange(12).reshape(3, 4).to(ScalarType.Float32);
        Assert.Equal(input.data<float>(), F.index_add_rows(idx, src, w, 3, input).data<float>());
        y.sum().backward();
        Assert.Equal(new long[] { 0, 4 }, src.grad!.shape);
        Assert.Equal(new long[] { 0 }, w.grad!.shape);
    }

    [Fact]
    public void BadArguments_AreNamed()
    {
        var src = torch.randn(4, 3);
        var idx = torch.tensor(new long[] { 0, 1, 1, 0 }, [4]);
        Assert.Contains("index has 3 entries but source has 4 rows",
            Assert.Throws<ArgumentException>(() => F.index_add_rows(idx.narrow(0, 0, 3), src, null, 2)).Message);
        Assert.Contains("weight must be 1-D with one entry per source row (4), got shape [4, 1]",
            Assert.Throws<ArgumentException>(() => F.index_add_rows(idx, src, torch.ones(4, 1), 2)).Message);
        Assert.Contains("weight (float64) must have the source's dtype (float32)",
            Assert.Throws<ArgumentException>(() => F.index_add_rows(idx, src, torch.ones([4], ScalarType.Float64), 2)).Message);
        Assert.Contains("input has shape [3, 3], expected [2, 3]",
            Assert.Throws<ArgumentException>(() => F.index_add_rows(idx, src, null, 2, torch.zeros(3, 3))).Message);
        Assert.Throws<IndexOutOfRangeException>(() => F.index_add_rows(idx, src, null, 1));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void IndexSelectBackward_AlongRows_IsTheZeroFilledIndexAdd(int threads)
    {
        using var _ = ParallelFor.WithThreads(threads);
        var g = new Generator(5);
        var x = torch.randn([6, 33], ScalarType.Float32, g).requires_grad_();
        var idx = torch.tensor(new long[] { 5, 0, 5, 2, 0, 5, 1 }, [7]); // rows 3 and 4 unused
        var dy = torch.randn([7, 33], ScalarType.Float32, g);
        (x.index_select(0, idx) * dy).sum().backward();
        var expected = torch.zeros(6, 33).index_add(0, idx, dy);
        Assert.Equal(expected.data<float>(), x.grad!.data<float>());
    }
}
