// The stages' data from a profile: domains from a clusterer (Data:Clusterer) for an unlabeled corpus, seeded
// label noise (Data:LabelNoise), the three-way split, and the tokenizers as plugins like any other.
using System.Text.Json;
using PluginMoE.Core.Composition;
using PluginMoE.Core.Data;
using PluginMoE.Core.Recipe.Stages;
using PluginMoE.Host.Configuration;
using PluginMoE.Host.Console;
using PluginMoE.Host.Tests.Support;

namespace PluginMoE.Host.Tests.Stages;

public sealed class TrainingDataTests : IDisposable
{
    private readonly TempFolder _dir = new();

    public void Dispose() => _dir.Dispose();

    private HostSettings Settings(params string[] overrides)
    {
        Directory.CreateDirectory(_dir.Combine("work"));
        return HostSettings.Load(LayeredConfiguration.Build(new ConfigurationRequest
        {
            HostDirectory = _dir.Combine("host"),
            WorkingDirectory = _dir.Combine("work"),
            Overrides =
            [
                "--Data:Loader=synthetic", "--Data:LoaderOptions:DocumentsPerDomain=40", "--Data:LoaderOptions:CharactersPerDocument=400",
                "--Training:SequenceLength=32", "--Model:MaxPositions=32", .. overrides,
            ],
        }));
    }

    private (TrainingData Data, string Console) Load(string? runDirectory, params string[] overrides)
    {
        var settings = Settings(overrides);
        var output = new StringWriter();
        var data = TrainingData.Load(settings.Profile, PluginSelection.Resolve(settings.Profile, TestPlugins.Instance),
            new PlainProgressReporter(output, TimeSpan.FromHours(1)), CancellationToken.None, runDirectory);
        return (data, output.ToString());
    }

    private static readonly string[] Clustered = ["--Data:Clusterer=kmeans-balanced", "--Data:Clusters=3", "--Data:ClusterEmbedder=tfidf"];

    [Fact]
    public void Clusterer_FromTheProfile_RecoversTheSyntheticDomainsInBalancedNamedClusters()
    {
        string run = _dir.Combine("run");
        var (data, console) = Load(run, Clustered);
        var report = data.Clusters!;
        Assert.Equal(["cluster-0", "cluster-1", "cluster-2"], data.Train.Domains);
        int n = data.TrainDocuments.Count;
        Assert.All(report.TrainSizes, s => Assert.InRange(s, n / 3, (n + 2) / 3));                         // floor(N/k)..ceil(N/k)
        Assert.True(report.Purity >= 0.95, $"purity {report.Purity}");
        // The same labels in each cluster's majority as in the documents' own domains (the ids carry the true domain).
        foreach (var doc in data.TrainDocuments) Assert.StartsWith("cluster-", doc.Domain);
        Assert.Contains("kmeans-balanced over tfidf vectors (seed 1):", console);
        Assert.Contains("top terms:", console);
        // Saved in the run folder, with validation and test documents assigned to the nearest centre.
        var saved = JsonSerializer.Deserialize<ClusterReport>(File.ReadAllText(Path.Combine(run, TrainingData.Folder, DocumentClustering.FileName)))!;
        Assert.Equal(report.TrainSizes, saved.TrainSizes);
        Assert.Equal(data.Validation!.Domains.Count, saved.ValidationSizes.Count(s => s > 0));
        Assert.Equal(3, report.TopTerms.Length);
    }

    [Fact]
    public void Clusterer_SameSeed_SameClusters_FromTheRunFolderOrRecomputed()
    {
        var (a, _) = Load(_dir.Combine("a"), Clustered);
        var (b, console) = Load(_dir.Combine("a"), Clustered);                  // read back from data/clusters.json
        var (c, _) = Load(null, Clustered);                                     // computed again
        Assert.Contains("clusters from", console);
        Assert.Equal(a.TrainDocuments.Select(d => d.Domain), b.TrainDocuments.Select(d => d.Domain));
        Assert.Equal(a.TrainDocuments.Select(d => d.Domain), c.TrainDocuments.Select(d => d.Domain));
    }

    [Fact]
    public void Clusterer_HeldOutByLabels_KeepsTheLoadersDomainsForEvaluation()
    {
        var (data, _) = Load(null, [.. Clustered, "--Data:ClusterHeldOut=labels"]);
        Assert.Equal(["arithmetic", "brackets", "records"], data.Validation!.Domains);
        Assert.All(data.Train.Domains, d => Assert.StartsWith("cluster-", d));
    }

    [Fact]
    public void Clusterer_TooManyClusters_NamesTheSettingAndThePlugin()
    {
        var e = Assert.Throws<ConfigurationException>(() => Load(null, "--Data:Clusterer=kmeans-balanced", "--Data:Clusters=4000"));
        Assert.StartsWith("Data:Clusterer: clusterer 'kmeans-balanced': kmeans-balanced: cannot make 4000 clusters of", e.Message);
    }

    [Fact]
    public void Clusterer_UnknownName_ListsTheInstalledClusterers() =>
        Assert.Contains("Data:Clusterer: unknown document clusterer plugin 'kmeans' (available: kmeans-balanced)",
            Assert.Throws<ConfigurationException>(() => Load(null, "--Data:Clusterer=kmeans")).Message);

    [Fact]
    public void LabelNoise_GivesExactlyTheShareAWrongLabel_TheSameForTheSameSeed()
    {
        var (clean, _) = Load(null);
        var (noisy, console) = Load(null, "--Data:LabelNoise=0.25");
        var (again, _) = Load(null, "--Data:LabelNoise=0.25");
        var (other, _) = Load(null, "--Data:LabelNoise=0.25", "--Run:Seed=2");
        int n = clean.TrainDocuments.Count;
        int expected = (int)Math.Round(0.25 * n, MidpointRounding.AwayFromZero);
        var wrong = clean.TrainDocuments.Zip(noisy.TrainDocuments).Where(p => p.First.Domain != p.Second.Domain).ToList();
        Assert.Equal(expected, wrong.Count);
        Assert.All(wrong, p => Assert.Equal(p.First.Id, p.Second.Id));
        Assert.Equal(noisy.TrainDocuments.Select(d => d.Domain), again.TrainDocuments.Select(d => d.Domain));
        Assert.NotEqual(noisy.TrainDocuments.Select(d => d.Domain), other.TrainDocuments.Select(d => d.Domain));
        Assert.Contains($"data: label noise 0.25: {expected} of {n} training documents carry another domain's label (seed 1)", console);
        // Validation keeps the true labels: the same windows as without noise.
        Assert.Equal(clean.Validation!.Domains, noisy.Validation!.Domains);
    }

    [Fact]
    public void LabelNoise_OneDomain_SaysThereIsNoWrongLabelToGive() =>
        Assert.Contains("Data:LabelNoise: label noise 0.5 needs at least two domains to swap labels between; the documents have only 'records'",
            Assert.Throws<ConfigurationException>(() => Load(null, "--Data:LabelNoise=0.5", "--Data:LoaderOptions:Domains:0=records")).Message);

    [Fact]
    public void Split_IsThreeWay_ByIdHash_WithEveryDomainInEachPart()
    {
        var (data, console) = Load(null, "--Data:ValidationFraction=0.1", "--Data:TestFraction=0.1");
        Assert.NotNull(data.Test);
        Assert.Equal(["arithmetic", "brackets", "records"], data.Test!.Domains);
        Assert.Equal(["arithmetic", "brackets", "records"], data.Validation!.Domains);
        Assert.Matches(@"data: 120 documents, \d+ for training .*, \d+ for validation, \d+ for test", console);
    }

    [Fact]
    public void Tokenizers_AreLookedUpAsPlugins_WithTheirOptionsBound()
    {
        var settings = Settings("--Data:Tokenizer=bpe", "--Data:TokenizerOptions:VocabSize=300", "--Model:VocabSize=300");
        var selection = PluginSelection.Resolve(settings.Profile, TestPlugins.Instance);
        Assert.Equal(300, selection.Tokenizer.VocabSize);
        Assert.Contains("Data:TokenizerOptions", selection.BoundOptions.Keys);
        Assert.Contains("Data:Tokenizer: unknown tokenizer plugin 'bytes' (available: bpe, byte); did you mean 'byte'?",
            Assert.Throws<ConfigurationException>(() => PluginSelection.Resolve(Settings("--Data:Tokenizer=bytes").Profile, TestPlugins.Instance)).Message);
    }
}
