// The local-corpus dataset loader: real text that a Linux machine usually has, with no download, as named
// sources (man pages, the Python standard library, .NET XML docs, licences, C headers), one domain each.
using PluginMoE.Abstractions.Composition;
using PluginMoE.Abstractions.Data;
using PluginMoE.Plugins.Datasets.LocalCorpus;

namespace PluginMoE.Plugins.Datasets;

/// <summary>
/// Reads each named source in the order given: its glob patterns are expanded, filtered, reduced to
/// <see cref="LocalCorpusOptions.MaxFilesPerSource"/> evenly spaced files, and each file becomes one document
/// with the file path as id. Each source reports the files and bytes it found; a source that finds nothing
/// fails the load (or is reported and left out with <see cref="LocalCorpusOptions.SkipMissingSources"/>) with
/// a message naming the patterns it searched.
/// </summary>
[ExportDatasetLoader("local-corpus", Description = "Text already on a Linux machine: man-pages, python-stdlib, dotnet-xmldocs, licenses, c-headers (one domain each)")]
public sealed class LocalCorpusLoader : IDatasetLoader
{
    /// <inheritdoc/>
    public Type? OptionsType => typeof(LocalCorpusOptions);

    /// <inheritdoc/>
    public IEnumerable<Document> Load(DatasetRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var options = request.Options as LocalCorpusOptions ?? throw new ArgumentException(
            $"local-corpus: options must be {nameof(LocalCorpusOptions)}, got {request.Options?.GetType().Name ?? "null"}");
        var problems = options.Validate(new(options)).Select(r => r.ErrorMessage).ToArray();
        if (problems.Length > 0) throw new ArgumentException(string.Join("; ", problems));

        // Every source is matched up front, so that a missing one fails before any document is used.
        var plans = new List<(LocalSource Source, string Domain, IReadOnlyList<string> Files, int Candidates, string[] Patterns)>();
        foreach (var name in options.Sources.Distinct())
        {
            var source = LocalSources.Get(name);
            var patterns = (options.Patterns?.GetValueOrDefault(name) ?? source.DefaultPatterns)
                .Select(p => Glob.Resolve(p, request.BaseDirectory)).ToArray();
            var candidates = patterns.SelectMany(p => Glob.Expand(p, request.CancellationToken)).Where(source.Accept)
                .GroupBy(source.DedupKey).Select(g => g.Max(StringComparer.Ordinal)!).Order(StringComparer.Ordinal).ToArray();
            string domain = options.Domains?.GetValueOrDefault(name) ?? name;
            if (candidates.Length == 0)
            {
                string message = $"local-corpus: source '{name}' found no files; searched {string.Join(", ", patterns.Select(p => $"'{p}'"))}; " +
                    $"{source.Hint}, point Patterns:{name} at other files, or leave '{name}' out of Sources";
                if (!options.SkipMissingSources) throw new FileNotFoundException(message);
                request.Diagnostics.Info(message + " (skipped: SkipMissingSources is set)");
                continue;
            }
            plans.Add((source, domain, EvenlySpaced(candidates, options.MaxFilesPerSource), candidates.Length, patterns));
        }
        return Read(plans, options, request);
    }

    private static IEnumerable<Document> Read(List<(LocalSource Source, string Domain, IReadOnlyList<string> Files, int Candidates, string[] Patterns)> plans,
        LocalCorpusOptions options, DatasetRequest request)
    {
        foreach (var (source, domain, files, candidates, patterns) in plans)
        {
            var reader = source.CreateReader();
            int used = 0, skipped = 0;
            long bytes = 0;
            foreach (var file in files)
            {
                request.CancellationToken.ThrowIfCancellationRequested();
                string? text;
                string problem;
                try { text = reader.Read(file, options.MaxBytesPerFile, out problem); }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    text = null;
                    problem = $"unreadable: {e.Message}";
                }
                if (text is not null && text.Length < options.MinChars)
                {
                    problem = $"only {text.Length} characters of text (MinChars is {options.MinChars})";
                    text = null;
                }
                if (text is null)
                {
                    request.Diagnostics.Skipped(file, null, $"local-corpus: {source.Name}: {problem}");
                    skipped++;
                    continue;
                }
                used++;
                bytes += System.Text.Encoding.UTF8.GetByteCount(text);
                yield return new Document(file, domain, text);
            }
            request.Diagnostics.Info(
                $"local-corpus: {source.Name} (domain '{domain}'): {candidates} files found in {string.Join(", ", patterns)}; " +
                $"{used} documents read ({bytes / 1024.0:F0} KiB of text), {skipped} skipped");
            if (used == 0 && !options.SkipMissingSources)
                throw new InvalidDataException(
                    $"local-corpus: source '{source.Name}' found {candidates} files in {string.Join(", ", patterns)} but none gave usable text " +
                    $"(all {skipped} skipped; the diagnostics say why); point Patterns:{source.Name} at other files or leave it out of Sources");
        }
    }

    /// <summary><paramref name="count"/> items spread evenly over <paramref name="sorted"/> (all of them when there are fewer).</summary>
    internal static IReadOnlyList<string> EvenlySpaced(IReadOnlyList<string> sorted, int count)
    {
        if (sorted.Count <= count) return sorted;
        return [.. Enumerable.Range(0, count).Select(j => sorted[(int)((long)j * sorted.Count / count)])];
    }
}
