// Tests for gather / scatter / scatter_add / index_select / index_add: PyTorch 1.13 values, gradients,
// index validation and bitwise determinism of the accumulating kernels.
using PluginMoE.Tensors.Backends;

namespace PluginMoE.Tensors.Tests.Ops;

public class IndexingTests
{
    private static Tensor S34() => torch.arange(12).reshape(3, 4).to(ScalarType.Float32);

    [Fact]
    public void Gather_MatchesPyTorch()
    {
        // s = torch.arange(12.).reshape(3, 4); s.gather(1, torch.tensor([[3, 0], [1, 1], [2, 0]]))
        var r = S34().gather(1, torch.tensor(new long[] { 3, 0, 1, 1, 2, 0 }, [3, 2]));
        Assert.Equal(new long[] { 3, 2 }, r.shape);
        Assert.Equal(new float[] { 3, 0, 5, 5, 10, 8 }, r.data<float>());
    }

    [Fact]
    public void ScatterAdd_DuplicateIndices_MatchesPyTorch()
    {
        // s.scatter_add(0, torch.tensor([[2, 0, 1, 2], [0, 0, 2, 1]]), torch.tensor([[1., 2., 3., 4.], [10., 20., 30., 40.]]))
        var idx = torch.tensor(new long[] { 2, 0, 1, 2, 0, 0, 2, 1 }, [2, 4]);
        var src = torch.tensor(new float[] { 1, 2, 3, 4, 10, 20, 30, 40 }, [2, 4]);
        var r = S34().scatter_add(0, idx, src);
        Assert.Equal(new float[] { 10, 23, 2, 3, 4, 5, 9, 47, 9, 9, 40, 15 }, r.data<float>());
        var inPlace = S34();
        inPlace.scatter_add_(0, idx, src);
        Assert.Equal(r.data<float>(), inPlace.data<float>());
    }

    [Fact]
    public void Scatter_WritesValuesAndScalar()
    {
        var r = torch.zeros(2, 3).scatter(1, torch.tensor(new long[] { 2, 0 }, [2, 1]), torch.tensor(new float[] { 7, 8 }, [2, 1]));
        Assert.Equal(new float[] { 0, 0, 7, 8, 0, 0 }, r.data<float>());
        var m = torch.zeros(2, 3).scatter(1, torch.tensor(new long[] { 1, 1 }, [2, 1]), 5.0);
        Assert.Equal(new float[] { 0, 5, 0, 0, 5, 0 }, m.data<float>());
    }

    [Fact]
    public void IndexSelect_RepeatsAndInt32Index_Work()
    {
        var r = S34().index_select(0, torch.tensor(new int[] { 2, 0, 2 }));
        Assert.Equal(new float[] { 8, 9, 10, 11, 0, 1, 2, 3, 8, 9, 10, 11 }, r.data<float>());
        var c = S34().t().index_select(1, torch.tensor(new long[] { 1 }));
        Assert.Equal(new long[] { 4, 1 }, c.shape);
        Assert.Equal(new float[] { 4, 5, 6, 7 }, c.data<float>());
    }

    [Fact]
    public void IndexAdd_WithAlpha_MatchesPyTorch()
    {
        // s.index_add(1, torch.tensor([3, 0, 3]), torch.ones(3, 3) * torch.tensor([1., 2., 3.]), alpha=0.5)
        var source = torch.ones(3, 3) * torch.tensor(new float[] { 1, 2, 3 });
        var r = S34().index_add(1, torch.tensor(new long[] { 3, 0, 3 }), source, alpha: 0.5);
        Assert.Equal(new float[] { 1, 1, 2, 5, 5, 5, 6, 9, 9, 9, 10, 13 }, r.data<float>());
        var inPlace = S34().t(); // non-contiguous destination
        inPlace.index_add_(0, torch.tensor(new long[] { 3, 0, 3 }), source.t(), 0.5);
        Assert.Equal(r.data<float>(), inPlace.t().data<float>());
    }

    [Fact]
    public void ScatterAddAndGather_ExpandedIndex_EqualContiguousIndex()
    {
        // The MoE combine idiom: out.scatter_add(0, token.unsqueeze(1).expand(-1, D), y).
        var gen = new Generator(16);
        var token = torch.randint(0, 5, [9], generator: gen);
        var y = torch.randn([9, 6], ScalarType.Float64, gen);
        var expanded = token.unsqueeze(1).expand(9, 6);
        var dense = expanded.contiguous();
        Assert.Equal(torch.zeros([5, 6], ScalarType.Float64).scatter_add(0, dense, y).data<double>(),
                     torch.zeros([5, 6], ScalarType.Float64).scatter_add(0, expanded, y).data<double>());
        Assert.Equal(y.gather(0, dense).data<double>(), y.gather(0, expanded).data<double>());
        var bad = torch.tensor(new long[] { 5 }).unsqueeze(1).expand(1, 6);
        Assert.Throws<IndexOutOfRangeException>(() => torch.zeros(5, 6).scatter_add(0, bad, torch.ones(1, 6)));
    }

    [Fact]
    public void Gather_NegativeIndex_ThrowsNamingValueAndRange()
    {
        var ex = Assert.Throws<IndexOutOfRangeException>(() => S34().gather(1, torch.tensor(new long[] { 0, -1, 0 }, [3, 1])));
        Assert.Contains("gather", ex.Message);
        Assert.Contains("-1", ex.Message);
        Assert.Contains("0..3", ex.Message);
    }

    [Fact]
    public void IndexSelect_OutOfRange_Throws()
    {
        var ex = Assert.Throws<IndexOutOfRangeException>(() => S34().index_select(0, torch.tensor(new long[] { 1, 3 })));
        Assert.Contains("index_select", ex.Message);
        Assert.Contains("3", ex.Message);
    }

    [Fact]
    public void IndexingOps_BadArguments_ThrowArgumentException()
    {
        Assert.Throws<ArgumentException>(() => S34().gather(1, torch.tensor(new float[] { 0 }, [1, 1])));
        Assert.Throws<ArgumentException>(() => S34().gather(1, torch.tensor(new long[] { 0, 0, 0, 0 }, [4, 1])));
        Assert.Throws<ArgumentException>(() => S34().index_add(0, torch.tensor(new long[] { 0 }), torch.ones(2, 4)));
        Assert.Throws<ArgumentException>(() => S34().index_add(0, torch.tensor(new long[] { 0 }), torch.ones([1, 4], ScalarType.Float64)));
        Assert.Throws<ArgumentException>(() => S34().scatter_add(0, torch.tensor(new long[] { 0, 0 }, [1, 2]), torch.ones(1, 1)));
    }

    [Fact]
    public void InPlaceIndexing_OnTensorRequiringGrad_Throws()
    {
        var w = torch.zeros([3], ScalarType.Float64, requires_grad: true);
        Assert.Throws<InvalidOperationException>(() => w.index_add_(0, torch.tensor(new long[] { 0 }), torch.ones([1], ScalarType.Float64)));
    }

    [Fact]
    public void Gather_Gradient_MatchesFiniteDifferences_NonContiguous()
    {
        var g = new Generator(11);
        var x = GradCheck.Input(g, 4, 3);
        var idx = torch.tensor(new long[] { 0, 3, 3, 1, 2, 2, 0, 0 }, [2, 4]); // repeats: gradient accumulates
        GradCheck.Check(a => a[0].t().gather(1, idx), [x]);
    }

    [Fact]
    public void ScatterAdd_Gradients_MatchFiniteDifferences_BothInputs()
    {
        var g = new Generator(12);
        var self = GradCheck.Input(g, 4, 3);
        var src = GradCheck.Input(g, 3, 5);
        var idx = torch.tensor(new long[] { 1, 3, 1, 0, 0, 2 }, [2, 3]);
        // src is transposed (non-contiguous) and larger than index; self is broadcast-added first.
        GradCheck.Check(a => (a[0] * 2.0).scatter_add(0, idx, a[1].t()), [self, src]);
    }

    [Fact]
    public void Scatter_Gradients_MatchFiniteDifferences()
    {
        var g = new Generator(13);
        var self = GradCheck.Input(g, 3, 4);
        var src = GradCheck.Input(g, 3, 2);
        var idx = torch.tensor(new long[] { 3, 0, 1, 2, 0, 3 }, [3, 2]);
        GradCheck.Check(a => a[0].scatter(1, idx, a[1]), [self, src]);
    }

    [Fact]
    public void IndexSelect_Gradient_MatchesFiniteDifferences_NonContiguous()
    {
        var g = new Generator(14);
        var x = GradCheck.Input(g, 2, 3, 4);
        var idx = torch.tensor(new long[] { 3, 1, 3, 3 });
        GradCheck.Check(a => a[0].permute(2, 0, 1).index_select(0, idx), [x]);
    }

    [Fact]
    public void IndexAdd_Gradients_MatchFiniteDifferences_BothInputs()
    {
        var g = new Generator(15);
        var self = GradCheck.Input(g, 3, 5);
        var src = GradCheck.Input(g, 4, 3);
        var idx = torch.tensor(new long[] { 4, 0, 4, 2 });
        GradCheck.Check(a => a[0].index_add(1, idx, a[1].t(), alpha: -1.5), [self, src]);
    }

    [Fact]
    public void IndexAdd_ManyDuplicates_IsBitwiseDeterministicAcrossThreadCounts()
    {
        var gen = new Generator(21);
        var index = torch.randint(0, 50, [20000], generator: gen);
        var source = torch.randn([20000, 48], ScalarType.Float32, gen);
        var self = torch.randn([50, 48], ScalarType.Float32, gen);

        // Reference: a plain loop adding rows in index order.
        var expected = self.data<float>();
        var ids = index.data<long>();
        var src = source.data<float>();
        for (int j = 0; j < ids.Length; j++)
            for (int c = 0; c < 48; c++) expected[ids[j] * 48 + c] += src[j * 48 + c];

        foreach (var threads in new[] { 1, 2, 3, 8 })
        {
            using var _ = ParallelFor.WithThreads(threads);
            Assert.Equal(expected, self.index_add(0, index, source).data<float>());
            // Same op along dim 1 (column-partitioned path), compared with the dim-0 result transposed.
            Assert.Equal(expected, self.t().index_add(1, index, source.t()).t().data<float>());
        }
    }

    [Fact]
    public void ScatterAdd_ManyDuplicates_IsBitwiseDeterministicAcrossThreadCounts()
    {
        var gen = new Generator(22);
        var index = torch.randint(0, 7, [3000, 40], generator: gen);
        var src = torch.randn([3000, 40], ScalarType.Float32, gen);
        float[] reference;
        using (ParallelFor.WithThreads(1)) reference = torch.zeros(7, 40).scatter_add(0, index, src).data<float>();
        foreach (var threads in new[] { 2, 5 })
        {
            using var _ = ParallelFor.WithThreads(threads);
            Assert.Equal(reference, torch.zeros(7, 40).scatter_add(0, index, src).data<float>());
        }
    }
}
