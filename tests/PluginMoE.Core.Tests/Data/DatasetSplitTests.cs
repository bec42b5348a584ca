// Tests of the deterministic train/validation split.
using PluginMoE.Abstractions.Data;
using PluginMoE.Core.Data;

namespace PluginMoE.Core.Tests.Data;

public sealed class DatasetSplitTests
{
    private static List<Document> Docs(int n, string domain = "d") =>
        [.. Enumerable.Range(0, n).Select(i => new Document($"{domain}/file{i}.txt", domain, $"text {i}"))];

    [Fact]
    public void Split_IsDecidedByIdAlone_NotByOrderOrOtherDocuments()
    {
        var docs = Docs(200);
        var a = DatasetSplit.Split(docs, 0.2);
        var b = DatasetSplit.Split(Enumerable.Reverse(docs).Concat(Docs(50, "other")), 0.2);
        Assert.Equal(a.Validation.Select(d => d.Id).Order(), b.Validation.Where(d => d.Domain == "d").Select(d => d.Id).Order());
    }

    [Fact]
    public void Split_ValidationShare_IsCloseToTheFraction()
    {
        var parts = DatasetSplit.Split(Docs(2000), 0.1);
        Assert.InRange(parts.Validation.Count, 150, 250);
        Assert.Equal(2000, parts.Train.Count + parts.Validation.Count);
    }

    [Fact]
    public void Split_SmallDomain_KeepsAtLeastOneDocumentInEachPart()
    {
        var parts = DatasetSplit.Split(Docs(2, "tiny").Concat(Docs(1, "single")), 0.01);
        Assert.Single(parts.Validation, d => d.Domain == "tiny");
        Assert.Single(parts.Train, d => d.Domain == "tiny");
        Assert.Single(parts.Train, d => d.Domain == "single");
    }

    [Fact]
    public void StableHash_HasFixedValues()
    {
        // Golden values from an independent Python computation of FNV-1a + SplitMix64: changing the hash
        // would silently move documents between train and validation.
        Assert.Equal(0xF52A15E9A9B5E89BUL, DatasetSplit.StableHash(""));
        Assert.Equal(0xEA5D979649664B8CUL, DatasetSplit.StableHash("a/b.txt"));
    }
}
