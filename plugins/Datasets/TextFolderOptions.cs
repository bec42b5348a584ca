// Options of the text-folder dataset loader: a root folder with one sub-folder per domain, or an
// explicit map of domain -> glob patterns.
using System.ComponentModel.DataAnnotations;

namespace PluginMoE.Plugins.Datasets;

/// <summary>Options of the <c>text-folder</c> loader. Set exactly one of <see cref="Root"/> and <see cref="Domains"/>.</summary>
public sealed class TextFolderOptions : IValidatableObject
{
    /// <summary>Folder with one sub-folder per domain; every file below a sub-folder belongs to that domain.</summary>
    public string? Root { get; set; }

    /// <summary>
    /// Domain name -> glob patterns (<c>*</c>, <c>?</c> within a folder name, <c>**</c> for any folders), absolute
    /// (<c>/usr/lib/python3*/**/*.py</c>) or relative to the request's base directory.
    /// </summary>
    public Dictionary<string, string[]>? Domains { get; set; }

    /// <summary>At most this many files per domain (the first ones in sorted path order); null for all.</summary>
    [Range(1, int.MaxValue)]
    public int? MaxFilesPerDomain { get; set; }

    /// <summary>Only the first this many bytes of a file are read (cut back to a whole UTF-8 character); null for all.</summary>
    [Range(1, long.MaxValue)]
    public long? MaxBytesPerFile { get; set; }

    /// <summary>
    /// What to do with a binary or invalid UTF-8 file: <c>skip</c> (report it through the diagnostics and go on) or
    /// <c>fail</c> (stop the load with an error naming the file and the offset of the first bad byte).
    /// </summary>
    [AllowedValues("skip", "fail")]
    public string InvalidUtf8 { get; set; } = "skip";

    /// <inheritdoc/>
    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        bool hasRoot = !string.IsNullOrWhiteSpace(Root);
        bool hasDomains = Domains is { Count: > 0 };
        if (hasRoot == hasDomains)
            yield return new ValidationResult(
                "text-folder: set exactly one of Root (a folder with one sub-folder per domain) and Domains (domain -> glob patterns)",
                [nameof(Root), nameof(Domains)]);
        foreach (var (domain, patterns) in Domains ?? [])
            if (patterns is null || patterns.Length == 0 || patterns.Any(string.IsNullOrWhiteSpace))
                yield return new ValidationResult(
                    $"text-folder: domain '{domain}' needs at least one non-empty glob pattern, e.g. \"src/**/*.cs\"",
                    [$"{nameof(Domains)}:{domain}"]);
    }
}
