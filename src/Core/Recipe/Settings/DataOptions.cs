// The Data section: the dataset loader plugin and its own options, the tokenizer, the train/validation/test
// split, domains from a document clusterer for unlabeled corpora, and label noise for ablations.
using System.ComponentModel.DataAnnotations;
using System.Text.Json.Nodes;

namespace PluginMoE.Core.Recipe.Settings;

/// <summary>Where training text comes from and how it is split.</summary>
public sealed class DataOptions : ISectionOptions, IValidatableObject
{
    /// <inheritdoc/>
    public static string SectionName => "Data";

    /// <summary>Dataset loader plugin (e.g. <c>text-folder</c>, <c>jsonl</c>).</summary>
    [Required]
    public string Loader { get; set; } = "text-folder";

    /// <summary>The loader plugin's own options section (e.g. text-folder's <c>Domains</c> globs).</summary>
    public JsonObject? LoaderOptions { get; set; }

    /// <summary>Tokenizer plugin (<c>byte</c> and <c>bpe</c> are built into Core; others come from plugin folders).</summary>
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

    /// <summary>Share of documents held out for the final test evaluation (by the same hash: after the validation share).</summary>
    [Range(0.0, 0.9)]
    public double TestFraction { get; set; } = 0.1;

    /// <summary>At most this many validation (and test) windows per domain (evenly spaced), so evaluation stays quick.</summary>
    [Range(1, int.MaxValue)]
    public int MaxValidationWindows { get; set; } = 32;

    /// <summary>
    /// Document clusterer plugin (e.g. <c>kmeans-balanced</c>) whose clusters replace the loader's domain labels
    /// (domains <c>cluster-0</c> to <c>cluster-(k-1)</c>); empty keeps the loader's labels.
    /// </summary>
    public string? Clusterer { get; set; }

    /// <summary>The clusterer's own options section.</summary>
    public JsonObject? ClustererOptions { get; set; }

    /// <summary>Number of clusters k (used with <see cref="Clusterer"/>).</summary>
    [Range(1, 4096)]
    public int Clusters { get; set; } = 4;

    /// <summary>Domain-embedder plugin that gives the clusterer one vector per document (e.g. <c>tfidf</c>).</summary>
    public string? ClusterEmbedder { get; set; } = "tfidf";

    /// <summary>The cluster embedder's own options section.</summary>
    public JsonObject? ClusterEmbedderOptions { get; set; }

    /// <summary>
    /// Domains of the validation and test documents when clustering: <c>nearest</c> (the nearest cluster centre, as
    /// c-BTM routes new text) or <c>labels</c> (keep the loader's labels, to compare with a labelled run).
    /// </summary>
    [AllowedValues("nearest", "labels")]
    public string ClusterHeldOut { get; set; } = "nearest";

    /// <summary>
    /// Share of training documents given a wrong domain label (exactly round(share x N) of them, chosen and relabelled
    /// by a hash of Run:Seed and the document id); validation and test keep their labels. For ablations.
    /// </summary>
    [Range(0.0, 1.0)]
    public double LabelNoise { get; set; }

    /// <inheritdoc/>
    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (ValidationFraction + TestFraction >= 0.95)
            yield return new ValidationResult($"ValidationFraction ({ValidationFraction}) plus TestFraction ({TestFraction}) must be below 0.95, so that documents remain for training", [nameof(TestFraction)]);
        if (!string.IsNullOrEmpty(Clusterer) && string.IsNullOrEmpty(ClusterEmbedder))
            yield return new ValidationResult("a clusterer needs an embedder for its document vectors (e.g. tfidf)", [nameof(ClusterEmbedder)]);
    }
}
