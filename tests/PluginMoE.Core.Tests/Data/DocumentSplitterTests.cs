// Tests of the three-way split: stable under added documents, fractions, exact de-duplication across parts.
using PluginMoE.Abstractions.Data;
using PluginMoE.Core.Data;

namespace PluginMoE.Core.Tests.Data;

public sealed class DocumentSplitterTests
{
    private static List<Document> Docs(int from, int count) =>
        [.. Enumerable.Range(from, count).Select(i => new Document($"doc-{i}", i % 2 == 0 ? "even" : "odd", $"text number {i}"))];

    private static Dictionary<string, string> PartOf(DocumentSplits s) =>
        s.Train.Select(d => (d.Id, "train")).Concat(s.Validation.Select(d => (d.Id, "validation"))).Concat(s.Test.Select(d => (d.Id, "test")))
            .ToDictionary(x => x.Id, x => x.Item2);

    [Fact]
    public void Split_AddingDocuments_LeavesEveryEarlierDocumentInItsPart()
    {
        var before = PartOf(DocumentSplitter.Split(Docs(0, 500), 0.1, 0.1));
        var after = PartOf(DocumentSplitter.Split(Docs(250, 750).Concat(Docs(0, 250)).Reverse(), 0.1, 0.1));
        Assert.All(before, kv => Assert.Equal(kv.Value, after[kv.Key]));
    }

    [Fact]
    public void Split_Fractions_AreRoughlyTheRequestedShares()
    {
        var s = DocumentSplitter.Split(Docs(0, 4000), 0.1, 0.2);
        Assert.InRange(s.Validation.Count / 4000.0, 0.085, 0.115);
        Assert.InRange(s.Test.Count / 4000.0, 0.18, 0.22);
        Assert.Equal(4000, s.Train.Count + s.Validation.Count + s.Test.Count);
    }

    [Fact]
    public void Split_DuplicateTexts_KeepOneCopyWhateverTheOrder()
    {
        var docs = Docs(0, 300);
        var copies = docs.Take(40).Select(d => d with { Id = d.Id + "-copy" }).ToList();
        var a = DocumentSplitter.Split(docs.Concat(copies), 0.2, 0.2);
        var b = DocumentSplitter.Split(copies.Concat(docs).Reverse(), 0.2, 0.2);
        Assert.Equal(40, a.DuplicatesRemoved);
        var all = a.Train.Concat(a.Validation).Concat(a.Test).ToList();
        Assert.Equal(300, all.Select(d => d.Text).Distinct().Count());
        Assert.Equal(300, all.Count);
        Assert.Equal(PartOf(a).OrderBy(kv => kv.Key), PartOf(b).OrderBy(kv => kv.Key));
    }

    [Fact]
    public void Split_FractionsSummingToOne_AreRefused() =>
        Assert.Contains("validation (0.5) and test (0.5) fractions must be non-negative and sum to less than 1",
            Assert.Throws<ArgumentOutOfRangeException>(() => DocumentSplitter.Split([], 0.5, 0.5)).Message, StringComparison.Ordinal);

    [Fact]
    public void Split_EveryDomainInEachPart_GivesSmallDomainsATrainValidationAndTestDocument()
    {
        // Three documents per domain at fractions 0.1/0.1: the hashes alone would leave most domains without a held-out document.
        var docs = Enumerable.Range(0, 30).Select(i => new Document($"d{i}", $"domain-{i / 3}", $"text {i}")).ToList();
        var s = DocumentSplitter.Split(docs, 0.1, 0.1, everyDomainInEachPart: true);
        foreach (var part in new[] { s.Train, s.Validation, s.Test })
            Assert.Equal(10, part.Select(d => d.Domain).Distinct().Count());
        var twice = DocumentSplitter.Split(Enumerable.Reverse(docs), 0.1, 0.1, everyDomainInEachPart: true);
        Assert.Equal(PartOf(s).OrderBy(kv => kv.Key), PartOf(twice).OrderBy(kv => kv.Key));
        // Two documents: one to train, one to validation, none to test (training keeps at least one).
        var pair = DocumentSplitter.Split([new Document("p", "x", "1"), new Document("q", "x", "2")], 0.1, 0.1, everyDomainInEachPart: true);
        Assert.Equal((1, 1, 0), (pair.Train.Count, pair.Validation.Count, pair.Test.Count));
    }
}
