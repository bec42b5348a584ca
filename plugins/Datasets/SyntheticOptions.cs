// Options of the synthetic dataset loader: which toy domains, how many documents, the seed.
using System.ComponentModel.DataAnnotations;

namespace PluginMoE.Plugins.Datasets;

/// <summary>Options of the <c>synthetic</c> loader.</summary>
public sealed class SyntheticOptions : IValidatableObject
{
    /// <summary>Domains to generate: <c>arithmetic</c>, <c>brackets</c>, <c>records</c>.</summary>
    [MinLength(1)]
    public string[] Domains { get; set; } = ["arithmetic", "brackets", "records"];

    /// <summary>Documents per domain.</summary>
    [Range(1, 10_000_000)]
    public int DocumentsPerDomain { get; set; } = 200;

    /// <summary>Approximate characters per document (lines are added until it is reached).</summary>
    [Range(1, 10_000_000)]
    public int CharactersPerDocument { get; set; } = 512;

    /// <summary>Seed; document <c>i</c> of a domain depends only on (seed, domain, i), so adding documents keeps the others.</summary>
    public long Seed { get; set; }

    /// <inheritdoc/>
    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        foreach (var d in Domains ?? [])
            if (!Synthetic.SyntheticGenerators.Names.Contains(d))
                yield return new ValidationResult(
                    $"synthetic: unknown domain '{d}'; domains: {string.Join(", ", Synthetic.SyntheticGenerators.Names)}", [nameof(Domains)]);
    }
}
