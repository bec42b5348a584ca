// The Data section: the dataset loader plugin and its own options, the tokenizer and the validation split.
using System.ComponentModel.DataAnnotations;
using System.Text.Json.Nodes;

namespace PluginMoE.Host.Configuration;

/// <summary>Where training text comes from and how it is split.</summary>
public sealed class DataOptions : ISectionOptions
{
    /// <inheritdoc/>
    public static string SectionName => "Data";

    /// <summary>Dataset loader plugin (e.g. <c>text-folder</c>, <c>jsonl</c>).</summary>
    [Required]
    public string Loader { get; set; } = "text-folder";

    /// <summary>The loader plugin's own options section (e.g. text-folder's <c>Domains</c> globs).</summary>
    public JsonObject? LoaderOptions { get; set; }

    /// <summary>Tokenizer (<c>byte</c> is built in; others come from plugins).</summary>
    [Required]
    public string Tokenizer { get; set; } = "byte";

    /// <summary>The tokenizer's own options (for <c>bpe</c>: VocabSize, SampleBytes, MinFrequency, or Path to a tokenizer.json).</summary>
    public JsonObject? TokenizerOptions { get; set; }

    /// <summary>Sampling temperature τ over the domain weights (p ∝ w^(1/τ)); 1 keeps Training:DomainWeights or the token counts.</summary>
    [Range(0.01, 1000.0)]
    public double SamplingTemperature { get; set; } = 1.0;

    /// <summary>Training windows: <c>random</c> starts, or <c>sequential</c> packed windows whose data position is saved in checkpoints.</summary>
    [AllowedValues("random", "sequential")]
    public string WindowOrder { get; set; } = "random";

    /// <summary>Share of documents held out for validation (by a stable hash of their ids).</summary>
    [Range(0.0, 0.9)]
    public double ValidationFraction { get; set; } = 0.1;

    /// <summary>At most this many validation windows per domain (evenly spaced), so evaluation stays quick.</summary>
    [Range(1, int.MaxValue)]
    public int MaxValidationWindows { get; set; } = 32;
}
