// The recipe's settings (profile section "Recipe"): the budgets of each stage, the embedder, and the variants a
// profile compares (the same experts upcycled with different merge strategies and routers). One schema: the host
// binds the profile section onto this type and validates it once.
using System.ComponentModel.DataAnnotations;

namespace PluginMoE.Core.Recipe;

/// <summary>Budgets and variants of the seed -> branch -> upcycle -> finetune recipe (Nexus/BTX).</summary>
public class RecipeSettings : IValidatableObject
{
    /// <summary>Optimizer steps of the dense seed on the mixture of all domains.</summary>
    [Range(1, long.MaxValue)]
    public long SeedSteps { get; set; } = 200;

    /// <summary>A checkpoint folder (PluginMoE or Hugging Face Llama layout) used as the seed instead of training one.</summary>
    public string? SeedCheckpoint { get; set; }

    /// <summary>Optimizer steps of each domain expert, branched from the seed, on its own domain.</summary>
    [Range(1, long.MaxValue)]
    public long BranchSteps { get; set; } = 100;

    /// <summary>Optimizer steps of each upcycled variant (and of the average baseline) on the mixture: the same budget for all (compute-matched).</summary>
    [Range(0, long.MaxValue)]
    public long FinetuneSteps { get; set; } = 100;

    /// <summary>Domain embedder plugin for the embed stage (Nexus's router input), e.g. <c>tfidf</c>.</summary>
    [Required]
    public string Embedder { get; set; } = "tfidf";

    /// <summary>The variants compared, by name; each names its merge strategy, router and top-k.</summary>
    public Dictionary<string, VariantSettings> Variants { get; set; } = new(StringComparer.Ordinal);

    /// <summary>Also build the baselines: the dense seed continued for the same total tokens, and the <c>average</c> merge finetuned like the variants.</summary>
    public bool Baselines { get; set; } = true;

    /// <summary>Name of the variant that relative comparisons divide by (the papers report against the linear router).</summary>
    public string? ReferenceVariant { get; set; }

    /// <summary>Steps of the data-matched dense baseline: every expert's steps plus the finetuning steps.</summary>
    public long DenseBaselineSteps(int domains) => BranchSteps * domains + FinetuneSteps;

    /// <summary>The reference variant: the configured one, else one whose router is <c>linear</c>, else the first.</summary>
    public string? Reference() =>
        ReferenceVariant ?? Variants.FirstOrDefault(v => string.Equals(v.Value.Router, "linear", StringComparison.OrdinalIgnoreCase)).Key ?? Variants.Keys.FirstOrDefault();

    /// <inheritdoc/>
    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        foreach (var (name, v) in Variants)
        {
            if (string.IsNullOrWhiteSpace(v.Merge))
                yield return new ValidationResult($"Variants:{name}:Merge: required: a merge strategy plugin such as btx, nexus or sparse-upcycle", [nameof(Variants)]);
            if (string.IsNullOrWhiteSpace(v.Router))
                yield return new ValidationResult($"Variants:{name}:Router: required: a router plugin such as linear or nexus", [nameof(Variants)]);
            if (v.TopK < 1)
                yield return new ValidationResult($"Variants:{name}:TopK: {v.TopK} is not allowed: at least 1", [nameof(Variants)]);
            if (v.Experts is < 1)
                yield return new ValidationResult($"Variants:{name}:Experts: {v.Experts} is not allowed: at least 1", [nameof(Variants)]);
        }
        if (ReferenceVariant is { } r && !Variants.ContainsKey(r))
            yield return new ValidationResult($"ReferenceVariant: '{r}' is not a variant; the variants are {string.Join(", ", Variants.Keys)}", [nameof(ReferenceVariant)]);
    }
}

/// <summary>One compared variant: how the experts become an MoE.</summary>
public sealed class VariantSettings
{
    /// <summary>Merge strategy plugin (<c>btx</c>, <c>nexus</c>, <c>sparse-upcycle</c>).</summary>
    public string? Merge { get; set; }

    /// <summary>Router plugin of the MoE layers.</summary>
    public string? Router { get; set; }

    /// <summary>Experts per token.</summary>
    public int TopK { get; set; } = 2;

    /// <summary>Weight of the load-balancing loss during finetuning.</summary>
    public double LoadBalanceWeight { get; set; } = 0.01;

    /// <summary>The merge strategy's own options (bound by its options type), e.g. <c>{"DropFraction": 0.5}</c> for sparse-upcycle.</summary>
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    public System.Text.Json.Nodes.JsonObject? MergeOptions { get; set; }

    /// <summary>
    /// Routed experts of a strategy that builds from the seed alone (sparse-upcycle: copies of the seed's FFN); null for one
    /// per domain, the size of the other variants. Strategies that merge the domain experts have one expert per domain.
    /// </summary>
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    public int? Experts { get; set; }
}
