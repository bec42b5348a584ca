// The stages' data: documents from the loader plugin, a stable train/validation/test split by document-id hash
// (exact duplicates dropped), domains from a clusterer when the profile names one, seeded label noise when asked,
// one token stream per domain and fixed validation and test windows.
using PluginMoE.Abstractions.Data;
using PluginMoE.Core.Data;
using PluginMoE.Core.Composition;
using PluginMoE.Core.Recipe.Settings;
using PluginMoE.Core.Recipe.Services;

namespace PluginMoE.Core.Recipe.Stages;

/// <summary>Training and validation tokens of a run.</summary>
/// <param name="Train">Training streams per domain.</param>
/// <param name="Validation">Validation windows, or null when nothing was held out.</param>
/// <param name="Documents">Documents loaded.</param>
public sealed record TrainingData(TokenCorpus Train, ValidationSet? Validation, int Documents)
{
    /// <summary>Folder of the run folder where the data's derived files go (clusters.json).</summary>
    public const string Folder = "data";

    /// <summary>Test windows (Data:TestFraction), or null when nothing was held out for testing.</summary>
    public ValidationSet? Test { get; init; }

    /// <summary>The clusters that became the domains, when Data:Clusterer is set.</summary>
    public ClusterReport? Clusters { get; init; }

    /// <summary>The tokenizer the streams were made with (a bpe tokenizer trained here when the profile asks for one).</summary>
    public ITokenizer Tokenizer { get; init; } = Core.Text.ByteTokenizer.Instance;

    /// <summary>The training documents (the recipe's embed stage samples them per domain).</summary>
    public IReadOnlyList<Document> TrainDocuments { get; init; } = [];

    /// <summary>
    /// Loads, splits and tokenizes the data that <paramref name="settings"/> describe. With a
    /// <paramref name="runDirectory"/>, clusters (Data:Clusterer) are kept in its <see cref="Folder"/> folder, so the
    /// stages of a run cluster once.
    /// </summary>
    /// <exception cref="ConfigurationException">The data paths match nothing, or a domain is too small; the message names the paths.</exception>
    public static TrainingData Load(ProfileSettings settings, PluginSelection plugins, IProgressReporter progress, CancellationToken cancellationToken,
        string? runDirectory = null)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(plugins);
        ArgumentNullException.ThrowIfNull(progress);
        var diagnostics = new Diagnostics(progress);
        var request = new DatasetRequest
        {
            Options = plugins.LoaderOptions,
            BaseDirectory = settings.BaseDirectory,
            Diagnostics = diagnostics,
            CancellationToken = cancellationToken,
        };
        List<Document> documents;
        try
        {
            documents = progress.Run($"loading data ({settings.Data.Loader})", 0, task =>
            {
                var list = new List<Document>();
                long bytes = 0;
                foreach (var doc in plugins.Loader.Load(request))
                {
                    list.Add(doc);
                    bytes += doc.Text.Length;
                    task.Report(list.Count, $"{list.Count} documents, {bytes / 1024} KiB");
                }
                return list;
            });
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            string where = settings.ProfilePath is { } p ? $"profile '{p}'" : "the settings";
            throw new ConfigurationException(
                $"Data:LoaderOptions: {e.Message.TrimEnd('.')}. Edit Data:LoaderOptions in {where}, or override it on the command line, " +
                "e.g. --Data:LoaderOptions:Domains:mytext:0=/path/to/texts/**/*.txt", e);
        }
        if (diagnostics.SkippedCount > 0) progress.Info($"data: {diagnostics.SkippedCount} input(s) skipped (see the messages above)");
        if (documents.Count == 0)
            throw new ConfigurationException($"Data:LoaderOptions: the '{settings.Data.Loader}' loader returned no documents; point it at text files");

        var data = settings.Data;
        var parts = DocumentSplitter.Split(documents, data.ValidationFraction, data.TestFraction, deduplicate: true, everyDomainInEachPart: true);
        if (parts.DuplicatesRemoved > 0) progress.Info($"data: {parts.DuplicatesRemoved} document(s) dropped as exact copies of another document's text");
        ClusterReport? clusters = null;
        if (plugins.Clustering is { } setup)
        {
            ClusteredSplits clustered;
            try
            {
                clustered = progress.Run($"clustering {parts.Train.Count} documents ({setup.ClustererName}, k={setup.Clusters})", 0, _ =>
                    DocumentClustering.Cluster(parts, setup, null, runDirectory is null ? null : Path.Combine(runDirectory, Folder), cancellationToken));
            }
            catch (ArgumentException e)
            {
                throw new ConfigurationException($"Data:Clusterer: {e.Message}", e);
            }
            parts = clustered.Splits;
            clusters = clustered.Report;
            if (clustered.FromCache) progress.Info($"data: {clusters.Names.Length} clusters from {Path.Combine(runDirectory!, Folder, DocumentClustering.FileName)} (sizes {string.Join(", ", clusters.TrainSizes)})");
            else foreach (var line in clusters.Lines()) progress.Info($"data: {line}");
        }
        if (data.LabelNoise > 0)
        {
            IReadOnlyList<Document> noisy;
            int changed;
            try { noisy = LabelNoise.Apply(parts.Train, data.LabelNoise, settings.Run.Seed, out changed); }
            catch (ArgumentException e) { throw new ConfigurationException($"Data:LabelNoise: {e.Message}", e); }
            parts = parts with { Train = noisy };
            progress.Info(string.Create(System.Globalization.CultureInfo.InvariantCulture,
                $"data: label noise {data.LabelNoise}: {changed} of {noisy.Count} training documents carry another domain's label (seed {settings.Run.Seed}); validation and test keep theirs"));
        }

        var tokenizer = plugins.Tokenizer;
        if (tokenizer is Core.Text.PendingBpeTokenizer pending)
        {
            var watch = System.Diagnostics.Stopwatch.StartNew();
            // The recipe's extension domain (Recipe:Extend:Domain) is held out of the tokenizer too, as of every stage before extend.
            string? heldOut = settings.Recipe.Extend?.Domain;
            tokenizer = progress.Run($"training bpe tokenizer ({pending.VocabSize} ids)", 0, _ => pending.Train(parts.Train.Where(d => d.Domain != heldOut).Select(d => d.Text)));
            progress.Info($"data: bpe tokenizer trained in {watch.Elapsed.TotalSeconds:F1} s: {tokenizer.VocabSize} ids");
        }
        int separator = tokenizer.Encode("\n") is [var newline] ? newline : '\n';
        var train = TokenCorpus.Build(parts.Train, tokenizer, separator);
        int t = settings.Training.SequenceLength;
        foreach (var domain in train.Domains)
            if (train[domain].Length < t + 1)
                throw new ConfigurationException(
                    $"Data: domain '{domain}' has only {train[domain].Length} training tokens, fewer than one sequence of Training:SequenceLength + 1 = {t + 1}; add text or shorten the sequence");
        ValidationSet? Windows(IReadOnlyList<Document> docs)
        {
            if (docs.Count == 0) return null;
            var v = ValidationSet.Build(TokenCorpus.Build(docs, tokenizer, separator), t, data.MaxValidationWindows);
            return v.Domains.Count > 0 ? v : null;
        }
        var validation = Windows(parts.Validation);
        var test = Windows(parts.Test);
        if (validation is not null && train.Domains.Except(validation.Domains).ToList() is { Count: > 0 } unseen && clusters?.HeldOut != "labels")
            progress.Info($"data: no validation windows for domain(s) {string.Join(", ", unseen)} (too few held-out documents); raise Data:ValidationFraction to evaluate them");
        progress.Info($"data: {documents.Count} documents, {parts.Train.Count} for training ({train.TotalTokens:N0} tokens in {train.Domains.Count} domains: {string.Join(", ", train.Domains)}), {parts.Validation.Count} for validation, {parts.Test.Count} for test");
        return new TrainingData(train, validation, documents.Count) { Tokenizer = tokenizer, TrainDocuments = parts.Train, Test = test, Clusters = clusters };
    }

    private sealed class Diagnostics(IProgressReporter progress) : IDatasetDiagnostics
    {
        public int SkippedCount { get; private set; }

        public void Skipped(string source, long? line, string reason)
        {
            SkippedCount++;
            if (SkippedCount <= 5) progress.Info($"data: skipped {source}{(line is { } l ? $":{l}" : "")}: {reason}");
        }

        public void Info(string message) => progress.Info(message);
    }
}
