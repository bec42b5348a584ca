// Tests for F.embedding: row lookup for ids of any shape, sparse-accumulated weight gradient, padding_idx.
namespace PluginMoE.Tensors.Tests.Ops;

public class EmbeddingTests
{
    [Fact]
    public void Embedding_ReturnsRowsForIdsOfAnyShape()
    {
        var w = torch.arange(12).reshape(4, 3).to(ScalarType.Float32);
        var r = torch.nn.functional.embedding(torch.tensor(new long[] { 3, 0, 3, 1 }, [2, 2]), w);
        Assert.Equal(new long[] { 2, 2, 3 }, r.shape);
        Assert.Equal(new float[] { 9, 10, 11, 0, 1, 2, 9, 10, 11, 3, 4, 5 }, r.data<float>());
    }

    [Fact]
    public void Embedding_OutOfRangeId_ThrowsNamingIdAndRange()
    {
        var ex = Assert.Throws<IndexOutOfRangeException>(() => torch.nn.functional.embedding(torch.tensor(new long[] { 1, 4 }), torch.zeros(4, 2)));
        Assert.Contains("embedding", ex.Message);
        Assert.Contains("4", ex.Message);
        Assert.Throws<ArgumentException>(() => torch.nn.functional.embedding(torch.tensor(new long[] { 1 }), torch.zeros(4)));
    }

    [Fact]
    public void Embedding_WeightGradient_RepeatedIds_MatchesFiniteDifferences_NonContiguous()
    {
        var w = GradCheck.Input(new Generator(61), 3, 5);
        var ids = torch.tensor(new long[] { 1, 3, 1, 4, 1, 0 }, [2, 3]);
        GradCheck.Check(a => torch.nn.functional.embedding(ids, a[0].t()), [w]);
    }

    [Fact]
    public void Embedding_WeightGradient_CountsRepeatsAndSkipsPaddingRow()
    {
        var w = torch.zeros([5, 2], ScalarType.Float64, requires_grad: true);
        var ids = torch.tensor(new long[] { 2, 0, 2, 2, 4 });
        torch.nn.functional.embedding(ids, w, padding_idx: -1).sum().backward();
        Assert.Equal(new double[] { 1, 1, 0, 0, 3, 3, 0, 0, 0, 0 }, w.grad!.data<double>());
    }
}
