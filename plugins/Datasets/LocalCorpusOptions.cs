// Options of the local-corpus dataset loader: which named sources of local text to read and how much of each.
using System.ComponentModel.DataAnnotations;

namespace PluginMoE.Plugins.Datasets;

/// <summary>Options of the <c>local-corpus</c> loader.</summary>
public sealed class LocalCorpusOptions : IValidatableObject
{
    /// <summary>Named sources to read, each its own domain: <c>man-pages</c>, <c>python-stdlib</c>, <c>dotnet-xmldocs</c>, <c>licenses</c>, <c>c-headers</c>.</summary>
    [MinLength(1)]
    public string[] Sources { get; set; } = ["python-stdlib", "licenses"];

    /// <summary>Domain name per source (default: the source's name).</summary>
    public Dictionary<string, string>? Domains { get; set; }

    /// <summary>Glob patterns per source that replace its default search patterns (e.g. a copy of a man tree elsewhere).</summary>
    public Dictionary<string, string[]>? Patterns { get; set; }

    /// <summary>At most this many files per source, chosen evenly spaced over the sorted candidates so that they spread over the whole source.</summary>
    [Range(1, int.MaxValue)]
    public int MaxFilesPerSource { get; set; } = 200;

    /// <summary>At most this many bytes of text per document (cut back to a whole character).</summary>
    [Range(1, long.MaxValue)]
    public long MaxBytesPerFile { get; set; } = 64 * 1024;

    /// <summary>Documents with fewer characters than this after rendering are skipped (reported).</summary>
    [Range(0, int.MaxValue)]
    public int MinChars { get; set; } = 64;

    /// <summary>When true, a source that finds nothing is reported and left out; when false (default) the load fails naming where it looked.</summary>
    public bool SkipMissingSources { get; set; }

    /// <inheritdoc/>
    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        foreach (var s in (Sources ?? []).Concat(Domains?.Keys ?? Enumerable.Empty<string>()).Concat(Patterns?.Keys ?? Enumerable.Empty<string>()).Distinct())
            if (!LocalCorpus.LocalSources.Names.Contains(s))
                yield return new ValidationResult(
                    $"local-corpus: unknown source '{s}'; sources: {string.Join(", ", LocalCorpus.LocalSources.Names)}", [nameof(Sources)]);
        foreach (var (source, patterns) in Patterns ?? [])
            if (patterns is null || patterns.Length == 0 || patterns.Any(string.IsNullOrWhiteSpace))
                yield return new ValidationResult($"local-corpus: Patterns:{source} needs at least one non-empty glob pattern", [nameof(Patterns)]);
    }
}
