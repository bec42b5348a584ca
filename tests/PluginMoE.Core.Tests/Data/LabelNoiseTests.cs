// Label noise for the noisy-domains ablation: exactly the share of documents relabelled, always with a wrong
// label, the same for the same seed whatever the input order, and a clear error with a single domain.
using PluginMoE.Abstractions.Data;
using PluginMoE.Core.Data;

namespace PluginMoE.Core.Tests.Data;

public sealed class LabelNoiseTests
{
    private static List<Document> Docs(int n) =>
        [.. Enumerable.Range(0, n).Select(i => new Document($"doc-{i}", (i % 3) switch { 0 => "a", 1 => "b", _ => "c" }, $"text {i}"))];

    [Theory]
    [InlineData(300, 0.2, 60)]
    [InlineData(7, 0.3, 2)]          // 2.1 -> 2
    [InlineData(10, 0.25, 3)]        // 2.5 -> 3 (midpoint away from zero)
    [InlineData(50, 1.0, 50)]
    [InlineData(50, 0.0, 0)]
    public void Apply_RelabelsExactlyTheShare_EachWithAWrongLabel(int n, double share, int expected)
    {
        var docs = Docs(n);
        var noisy = LabelNoise.Apply(docs, share, seed: 1, out int changed);
        Assert.Equal(expected, changed);
        Assert.Equal(expected, docs.Zip(noisy).Count(p => p.First.Domain != p.Second.Domain));
        Assert.Equal(docs.Select(d => (d.Id, d.Text)), noisy.Select(d => (d.Id, d.Text)));
        Assert.All(noisy, d => Assert.Contains(d.Domain, new[] { "a", "b", "c" }));
    }

    [Fact]
    public void Apply_SameSeed_SameNoiseWhateverTheOrder_OtherSeedOtherNoise()
    {
        var docs = Docs(200);
        var a = LabelNoise.Apply(docs, 0.3, 5, out _).ToDictionary(d => d.Id, d => d.Domain);
        var b = LabelNoise.Apply([.. Enumerable.Reverse(docs)], 0.3, 5, out _).ToDictionary(d => d.Id, d => d.Domain);
        var c = LabelNoise.Apply(docs, 0.3, 6, out _).ToDictionary(d => d.Id, d => d.Domain);
        Assert.Equal(a, b);
        Assert.NotEqual(a, c);
    }

    [Fact]
    public void Apply_OneDomain_SaysWhy()
    {
        var e = Assert.Throws<ArgumentException>(() => LabelNoise.Apply([new Document("x", "only", "t"), new Document("y", "only", "u")], 0.5, 1, out _));
        Assert.Equal("label noise 0.5 needs at least two domains to swap labels between; the documents have only 'only'", e.Message);
    }
}
