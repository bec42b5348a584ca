// Options of the jsonl dataset loader (SlimPajama-style files: {"text": ..., "meta": {"redpajama_set_name": ...}}).
using System.ComponentModel.DataAnnotations;

namespace PluginMoE.Plugins.Datasets;

/// <summary>Options of the <c>jsonl</c> loader.</summary>
public sealed class JsonlOptions
{
    /// <summary>
    /// <c>.jsonl</c> or <c>.jsonl.gz</c> files, folders (every <c>*.jsonl</c> and <c>*.jsonl.gz</c> below them) or glob patterns, absolute or relative to
    /// the request's base directory.
    /// </summary>
    [MinLength(1)]
    public string[] Paths { get; set; } = [];

    /// <summary>Name of the string field holding the document text.</summary>
    [Required]
    public string TextField { get; set; } = "text";

    /// <summary>Dotted path of the string field holding the domain label.</summary>
    [Required]
    public string DomainField { get; set; } = "meta.redpajama_set_name";

    /// <summary>A fixed domain for every line; when set, <see cref="DomainField"/> is not read.</summary>
    public string? Domain { get; set; }

    /// <summary>Dotted path of an id field (string or number); null uses <c>file:line</c>.</summary>
    public string? IdField { get; set; }

    /// <summary>Largest tolerated share of malformed lines per file (of its non-blank lines) before the run fails.</summary>
    [Range(0.0, 1.0)]
    public double MaxMalformedFraction { get; set; } = 0.01;

    /// <summary>
    /// What to do with a line that is not valid UTF-8 (it is never decoded with replacement characters): <c>skip</c>
    /// (report it with file, line and byte offset and skip it, counted as malformed against
    /// <see cref="MaxMalformedFraction"/>) or <c>fail</c> (stop the load at the first such line).
    /// </summary>
    [AllowedValues("skip", "fail")]
    public string InvalidUtf8 { get; set; } = "skip";

    /// <summary>
    /// Longest line read, in bytes (16 MiB by default); a longer line is reported as malformed and passed over
    /// without being held in memory.
    /// </summary>
    [Range(1, 1 << 30)]
    public int MaxLineBytes { get; set; } = 16 << 20;
}
