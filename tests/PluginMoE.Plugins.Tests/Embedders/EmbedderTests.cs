// Tests of the domain embedders: deterministic, on the synthetic domains each document is closer to its own
// domain's embedding than to the others', hidden-mean averages the provider's vectors, errors say what to do.
using PluginMoE.Abstractions.Data;
using PluginMoE.Plugins.Datasets;
using PluginMoE.Plugins.Embedders;
using PluginMoE.Tensors;

namespace PluginMoE.Plugins.Tests.Embedders;

public sealed class EmbedderTests
{
    private static Dictionary<string, IReadOnlyList<Document>> Synthetic(int perDomain, long seed) =>
        new SyntheticLoader().Load(new DatasetRequest { Options = new SyntheticOptions { DocumentsPerDomain = perDomain, Seed = seed, CharactersPerDocument = 300 } })
            .GroupBy(d => d.Domain).ToDictionary(g => g.Key, g => (IReadOnlyList<Document>)[.. g]);

    private static double Cos(float[] a, float[] b) =>
        a.Zip(b, (x, y) => (double)x * y).Sum() / Math.Sqrt(a.Sum(x => (double)x * x) * b.Sum(x => (double)x * x));

    private static float[] Row(Tensor t, int i) => t.contiguous().data<float>().AsSpan(i * (int)t.size(1), (int)t.size(1)).ToArray();

    [Fact]
    public void Tfidf_SameRequest_SameEmbeddings()
    {
        var request = new DomainEmbeddingRequest(Synthetic(10, 1)) { Options = new TfidfOptions { Dim = 32 } };
        var a = new TfidfEmbedder().Embed(request);
        var b = new TfidfEmbedder().Embed(request);
        Assert.Equal([3L, 32], a.shape);
        Assert.Equal(a.data<float>().ToArray(), b.data<float>().ToArray());
    }

    [Fact]
    public void Tfidf_SyntheticDomains_EachHeldOutDocumentIsClosestToItsOwnDomain()
    {
        var embedder = new TfidfEmbedder();
        var options = new TfidfOptions { Dim = 128 };
        var means = embedder.Embed(new DomainEmbeddingRequest(Synthetic(20, 1)) { Options = options });    // (3, m)
        var names = Synthetic(20, 1).Keys.ToList();
        foreach (var (domain, docs) in Synthetic(5, 99))
            foreach (var doc in docs)
            {
                // A held-out document embedded on its own (as a one-document domain) against the three domain means.
                var single = embedder.Embed(new DomainEmbeddingRequest(new Dictionary<string, IReadOnlyList<Document>> { ["x"] = [doc] }) { Options = options });
                var sims = Enumerable.Range(0, 3).Select(i => Cos(Row(single, 0), Row(means, i))).ToList();
                Assert.Equal(names.IndexOf(domain), sims.IndexOf(sims.Max()));
            }
    }

    [Fact]
    public void Tfidf_DomainMeans_AreFarApartOnTheSyntheticDomains()
    {
        var e = new TfidfEmbedder().Embed(new DomainEmbeddingRequest(Synthetic(20, 1)));
        for (int i = 0; i < 3; i++)
            for (int j = 0; j < 3; j++)
                if (i != j) Assert.InRange(Cos(Row(e, i), Row(e, j)), -1.0, 0.5);
    }

    private sealed class FakeModel : IHiddenStateProvider
    {
        public int Dim => 2;
        public int Layers => 1;
        public Tensor MeanHiddenState(string text, int layer = -1) => torch.tensor(new float[] { text.Length, text.Count(c => c == 'a') }, [2]);
        public Tensor MeanHiddenState(string text) => MeanHiddenState(text, -1);
    }

    [Fact]
    public void HiddenMean_AveragesTheModelsVectorsOverTheSampledDocuments()
    {
        var domains = new Dictionary<string, IReadOnlyList<Document>>
        {
            ["p"] = [new("1", "p", "aaaa"), new("2", "p", "ab"), new("3", "p", "not used")],
            ["q"] = [new("4", "q", "xyz")],
        };
        var e = new HiddenMeanEmbedder().Embed(new DomainEmbeddingRequest(domains) { Model = new FakeModel(), Options = new HiddenMeanOptions { MaxDocumentsPerDomain = 2 } });
        Assert.Equal([3f, 2.5f, 3f, 0f], e.data<float>().ToArray());
    }

    [Fact]
    public void HiddenMean_WithoutAModel_FailsSayingWhatItNeeds() =>
        Assert.StartsWith("hidden-mean: the request carries no model (IHiddenStateProvider);",
            Assert.Throws<ArgumentException>(() => new HiddenMeanEmbedder().Embed(new DomainEmbeddingRequest(Synthetic(1, 1)))).Message, StringComparison.Ordinal);
}
