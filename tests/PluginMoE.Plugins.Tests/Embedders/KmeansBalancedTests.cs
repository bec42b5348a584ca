// Tests of kmeans-balanced: sizes within the balance bound, deterministic for a seed, high purity on the
// synthetic domains, given vectors used as they are, top terms that name the clusters.
using PluginMoE.Abstractions.Data;
using PluginMoE.Plugins.Datasets;
using PluginMoE.Plugins.Embedders;
using PluginMoE.Tensors;

namespace PluginMoE.Plugins.Tests.Embedders;

public sealed class KmeansBalancedTests
{
    private static List<Document> Docs(int perDomain) =>
        [.. new SyntheticLoader().Load(new DatasetRequest { Options = new SyntheticOptions { DocumentsPerDomain = perDomain, CharactersPerDocument = 300 } })];

    [Fact]
    public void Cluster_SyntheticDomains_RecoversThemWithHighPurityAndBalancedSizes()
    {
        var docs = Docs(30);
        var result = new KmeansBalancedClusterer().Cluster(new ClusteringRequest(docs, 3) { Seed = 4 });
        Assert.All(result.Sizes, s => Assert.Equal(30, s));
        // Purity: each cluster's majority domain, summed.
        int majority = Enumerable.Range(0, 3).Sum(c => docs.Where((d, i) => result.Assignments[i] == c).GroupBy(d => d.Domain).Max(g => g.Count()));
        Assert.True(majority >= 0.95 * docs.Count, $"purity {majority}/{docs.Count}");
        var recordsCluster = result.Assignments[docs.FindIndex(d => d.Domain == "records")];
        Assert.Contains("status", result.TopTerms[recordsCluster]);
    }

    [Theory]
    [InlineData(10, 3)]
    [InlineData(29, 4)]
    [InlineData(7, 7)]
    public void Cluster_Sizes_AreFloorOrCeilOfNOverK(int perDomain, int k)
    {
        var docs = Docs(perDomain);
        var result = new KmeansBalancedClusterer().Cluster(new ClusteringRequest(docs, k) { Seed = 1 });
        int n = docs.Count;
        Assert.Equal(n, result.Sizes.Sum());
        Assert.All(result.Sizes, s => Assert.InRange(s, n / k, (n + k - 1) / k));
        Assert.Equal(result.Sizes, Enumerable.Range(0, k).Select(c => result.Assignments.Count(a => a == c)));
    }

    [Fact]
    public void Cluster_SameSeed_SameClusters()
    {
        var docs = Docs(15);
        var a = new KmeansBalancedClusterer().Cluster(new ClusteringRequest(docs, 4) { Seed = 9 });
        var b = new KmeansBalancedClusterer().Cluster(new ClusteringRequest(docs, 4) { Seed = 9 });
        Assert.Equal(a.Assignments, b.Assignments);
        Assert.Equal(a.Centroids.data<float>().ToArray(), b.Centroids.data<float>().ToArray());
    }

    [Fact]
    public void Cluster_GivenVectors_AreClusteredAsGiven()
    {
        // Two tight groups on the x and y axes; the texts are all the same, so only the vectors can separate them.
        var docs = Enumerable.Range(0, 8).Select(i => new Document($"{i}", "u", "same text")).ToList();
        var v = torch.tensor(new float[] { 1, 0.1f, 1, 0, 1, 0.05f, 1, 0.02f, 0.1f, 1, 0, 1, 0.05f, 1, 0.02f, 1 }, [8, 2]);
        var r = new KmeansBalancedClusterer().Cluster(new ClusteringRequest(docs, 2) { Vectors = v, Seed = 3 });
        Assert.Equal(4, r.Assignments.Take(4).Count(a => a == r.Assignments[0]));
        Assert.Equal(4, r.Assignments.Skip(4).Count(a => a == r.Assignments[4]));
        Assert.NotEqual(r.Assignments[0], r.Assignments[4]);
    }

    [Fact]
    public void Cluster_MoreClustersThanDocuments_IsRefused() =>
        Assert.Equal("kmeans-balanced: cannot make 5 clusters of 2 documents; k must be between 1 and the number of documents",
            Assert.Throws<ArgumentException>(() => new KmeansBalancedClusterer().Cluster(new ClusteringRequest(Docs(1).Take(2).ToList(), 5))).Message);
}
