// The train stage's data: documents from the loader plugin, a stable train/validation split, one token
// stream per domain and fixed validation windows.
using PluginMoE.Abstractions.Data;
using PluginMoE.Core.Data;
using PluginMoE.Host.Configuration;
using PluginMoE.Host.Console;

namespace PluginMoE.Host.Stages;

/// <summary>Training and validation tokens of a run.</summary>
/// <param name="Train">Training streams per domain.</param>
/// <param name="Validation">Validation windows, or null when nothing was held out.</param>
/// <param name="Documents">Documents loaded.</param>
public sealed record TrainingData(TokenCorpus Train, ValidationSet? Validation, int Documents)
{
    /// <summary>The tokenizer the streams were made with (a bpe tokenizer trained here when the profile asks for one).</summary>
    public ITokenizer Tokenizer { get; init; } = Core.Text.ByteTokenizer.Instance;

    /// <summary>The training documents (the recipe's embed stage samples them per domain).</summary>
    public IReadOnlyList<Document> TrainDocuments { get; init; } = [];

    /// <summary>Loads, splits and tokenizes the data that <paramref name="settings"/> describe.</summary>
    /// <exception cref="ConfigurationException">The data paths match nothing, or a domain is too small; the message names the paths.</exception>
    public static TrainingData Load(HostSettings settings, PluginSelection plugins, IProgressReporter progress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(plugins);
        ArgumentNullException.ThrowIfNull(progress);
        var diagnostics = new Diagnostics(progress);
        var request = new DatasetRequest
        {
            Options = plugins.LoaderOptions,
            BaseDirectory = settings.Source.BaseDirectory,
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
            string where = settings.Source.ProfilePath is { } p ? $"profile '{p}'" : "the settings";
            throw new ConfigurationException(
                $"Data:LoaderOptions: {e.Message.TrimEnd('.')}. Edit Data:LoaderOptions in {where}, or override it on the command line, " +
                "e.g. --Data:LoaderOptions:Domains:mytext:0=/path/to/texts/**/*.txt", e);
        }
        if (diagnostics.SkippedCount > 0) progress.Info($"data: {diagnostics.SkippedCount} input(s) skipped (see the messages above)");
        if (documents.Count == 0)
            throw new ConfigurationException($"Data:LoaderOptions: the '{settings.Data.Loader}' loader returned no documents; point it at text files");

        var parts = DatasetSplit.Split(documents, settings.Data.ValidationFraction);
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
        ValidationSet? validation = null;
        if (parts.Validation.Count > 0)
        {
            var v = ValidationSet.Build(TokenCorpus.Build(parts.Validation, tokenizer, separator), t, settings.Data.MaxValidationWindows);
            if (v.Domains.Count > 0) validation = v;
        }
        progress.Info($"data: {documents.Count} documents, {parts.Train.Count} for training ({train.TotalTokens:N0} tokens in {train.Domains.Count} domains: {string.Join(", ", train.Domains)}), {parts.Validation.Count} for validation");
        return new TrainingData(train, validation, documents.Count) { Tokenizer = tokenizer, TrainDocuments = parts.Train };
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
