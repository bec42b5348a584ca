// The recipe's settings (profile section "Recipe"): the budgets of each stage, the embedder, and the variants a
// profile compares (the same experts upcycled with different merge strategies and routers, or MoEs trained from
// scratch, each overriding the profile's Model/Moe settings). One schema: the host binds the profile section onto
// this type and validates it once.
using System.ComponentModel.DataAnnotations;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using PluginMoE.Core.Composition;
using PluginMoE.Core.Recipe.Settings;

namespace PluginMoE.Core.Recipe;

/// <summary>Budgets and variants of the seed -> branch -> upcycle -> finetune recipe (Nexus/BTX).</summary>
public sealed class RecipeSettings : ISectionOptions, IValidatableObject
{
    /// <inheritdoc/>
    public static string SectionName => "Recipe";

    /// <summary>Optimizer steps of the dense seed on the mixture of all domains.</summary>
    [Range(1, long.MaxValue)]
    public long SeedSteps { get; set; } = 200;

    /// <summary>A checkpoint folder (PluginMoE or Hugging Face Llama layout) used as the seed instead of training one.</summary>
    public string? SeedCheckpoint { get; set; }

    /// <summary>Optimizer steps of each domain expert, branched from the seed, on its own domain.</summary>
    [Range(1, long.MaxValue)]
    public long BranchSteps { get; set; } = 100;

    /// <summary>Optimizer steps of each upcycled variant (and of the average baseline) on the mixture: the same budget for all (compute-matched) unless a variant sets its own (<see cref="VariantSettings.FinetuneSteps"/>).</summary>
    [Range(0, long.MaxValue)]
    public long FinetuneSteps { get; set; } = 100;

    /// <summary>Domain embedder plugin for the embed stage (Nexus's router input), e.g. <c>tfidf</c>.</summary>
    [Required]
    public string Embedder { get; set; } = "tfidf";

    /// <summary>The variants compared, by name; each says how its MoE is made and what it changes of the Model section.</summary>
    public Dictionary<string, VariantSettings> Variants { get; set; } = new(StringComparer.Ordinal);

    /// <summary>Also build the baselines: the dense seed continued for the same total tokens, and the <c>average</c> merge finetuned like the variants.</summary>
    public bool Baselines { get; set; } = true;

    /// <summary>Name of the variant that relative comparisons divide by (the papers report against the linear router).</summary>
    public string? ReferenceVariant { get; set; }

    /// <summary>
    /// Each training stage's own section (<c>Recipe:Stages:&lt;stage&gt;:Training</c>: keys of the Training section that replace
    /// the shared ones for that stage; see <see cref="StageTraining"/>), or null. Left out of the resolved settings when null.
    /// </summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public Dictionary<string, StageSection>? Stages { get; set; }

    /// <summary>The extension with a new domain (the <c>extend</c> stage), or null. Left out of the resolved settings when null.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public ExtendSettings? Extend { get; set; }

    /// <summary>The finetune stage's budget for <paramref name="variant"/>: its own <see cref="VariantSettings.FinetuneSteps"/>, else <see cref="FinetuneSteps"/> (also for null, the average baseline, and a name that is not a variant).</summary>
    public long FinetuneStepsOf(string? variant) =>
        variant is not null && Variants.TryGetValue(variant, out var v) && v.FinetuneSteps is { } steps ? steps : FinetuneSteps;

    /// <summary>Steps of the data-matched dense baseline: every expert's steps plus the finetuning steps.</summary>
    public long DenseBaselineSteps(int domains) => BranchSteps * domains + FinetuneSteps;

    /// <summary>The reference variant: the configured one, else one whose router is <c>linear</c>, else the first.</summary>
    public string? Reference() =>
        ReferenceVariant ?? Variants.FirstOrDefault(v => string.Equals(v.Value.Router, "linear", StringComparison.OrdinalIgnoreCase)).Key ?? Variants.Keys.FirstOrDefault();

    /// <summary>True when some variant is upcycled from the seed and the domain experts (so the seed and branch stages are needed).</summary>
    public bool HasUpcycledVariants => Variants.Values.Any(v => v.IsUpcycled);

    /// <summary>True when the seed and branch stages produce something this recipe uses: an upcycled variant, or the baselines.</summary>
    public bool NeedsSeedAndExperts => HasUpcycledVariants || Baselines;

    /// <summary>Every embedder the recipe uses: <see cref="Embedder"/> first, then the upcycled variants' own ones, without repeats.</summary>
    public IReadOnlyList<string> Embedders() =>
        [.. new[] { Embedder }.Concat(Variants.Values.Where(v => v.IsUpcycled && !string.IsNullOrWhiteSpace(v.Embedder)).Select(v => v.Embedder!))
            .Distinct(StringComparer.OrdinalIgnoreCase)];

    /// <summary>The embedder whose domain embeddings a variant's merge and router get: its own, else <see cref="Embedder"/>.</summary>
    public string EmbedderOf(VariantSettings variant)
    {
        ArgumentNullException.ThrowIfNull(variant);
        return string.IsNullOrWhiteSpace(variant.Embedder) ? Embedder : variant.Embedder;
    }

    /// <inheritdoc/>
    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        foreach (var (name, v) in Variants)
        {
            // A section for a variant the profile does not define (a misspelt name, or one removed with null) would otherwise read as a variant without Merge.
            if (v.HasOnlyTraining)
            {
                var others = Variants.Where(o => !o.Value.HasOnlyTraining).Select(o => o.Key).ToList();
                yield return new ValidationResult($"a Training section for a variant the profile does not define (it sets nothing else); " +
                    (others.Count == 0 ? "the profile has no variants" : $"the variants are {string.Join(", ", others)}{NameSuggestions.Hint(name, others)}"), [$"{nameof(Variants)}:{name}:Training"]);
                continue;
            }
            foreach (var (key, why) in v.Problems())
                yield return new ValidationResult(why, [$"{nameof(Variants)}:{name}:{key}"]);
        }
        foreach (var problem in Extend?.Problems(Variants.Keys) ?? [])
            yield return new ValidationResult(problem, [nameof(Extend)]);
        if (ReferenceVariant is { } r && !Variants.ContainsKey(r))
            yield return new ValidationResult($"it is not a variant; the variants are {string.Join(", ", Variants.Keys)}", [nameof(ReferenceVariant)]);
        if (Variants.Count > 0 && !HasUpcycledVariants && Baselines)
            yield return new ValidationResult(
                "the baselines (the dense seed continued, the average merge of the domain experts) need the seed and branch stages, " +
                $"but every variant is From={VariantSettings.Scratch}; set Recipe:Baselines=false (a from-scratch profile runs upcycle, finetune, evaluate, report)", [nameof(Baselines)]);
    }
}

/// <summary>
/// One compared variant: how its MoE is made (upcycled from the seed and the domain experts with a merge strategy, or
/// initialised from scratch) and what it changes of the profile's <c>Model</c> / <c>Model:Moe</c> settings. Every
/// setting left out inherits from there (<see cref="RouterOptions"/> and <see cref="ExpertOptions"/> merge key by key
/// over the Model section's when the plugin is the same one).
/// </summary>
public sealed class VariantSettings
{
    /// <summary><see cref="From"/>: merged from the seed and the domain experts (Nexus, BTX).</summary>
    public const string Upcycle = "upcycle";

    /// <summary><see cref="From"/>: a freshly initialised MoE trained on the mixture (MH-MoE vs sparse MoE).</summary>
    public const string Scratch = "scratch";

    /// <summary>How the MoE is made: <see cref="Upcycle"/> (default) or <see cref="Scratch"/>.</summary>
    public string From { get; set; } = Upcycle;

    /// <summary>Merge strategy plugin (<c>btx</c>, <c>nexus</c>, <c>sparse-upcycle</c>); required for an upcycled variant, not allowed from scratch.</summary>
    public string? Merge { get; set; }

    /// <summary>Router plugin of the MoE layers; default <c>Model:Moe:Router</c>.</summary>
    public string? Router { get; set; }

    /// <summary>The router plugin's options; merged over <c>Model:Moe:RouterOptions</c> when the router is the Model section's.</summary>
    public JsonObject? RouterOptions { get; set; }

    /// <summary>Experts per token; default <c>Model:Moe:TopK</c>, else the router's own default (nexus 1, the others 2).</summary>
    public int? TopK { get; set; }

    /// <summary>Weight of the load-balancing loss; default <c>Model:Moe:LoadBalanceWeight</c>.</summary>
    public double? LoadBalanceWeight { get; set; }

    /// <summary>Weight of the router z-loss; default <c>Model:Moe:RouterZLossWeight</c>.</summary>
    public double? RouterZLossWeight { get; set; }

    /// <summary>The merge strategy's own options (bound by its options type), e.g. <c>{"DropFraction": 0.5}</c> for sparse-upcycle.</summary>
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    public JsonObject? MergeOptions { get; set; }

    /// <summary>Routed experts: from scratch, default <c>Model:Moe:Experts</c>; upcycled, default one per domain (only <c>sparse-upcycle</c> takes another count).</summary>
    public int? Experts { get; set; }

    /// <summary>Expert plugin of a from-scratch variant; default <c>Model:Expert</c> (an upcycled variant's experts are the dense models' FFNs).</summary>
    public string? Expert { get; set; }

    /// <summary>The expert plugin's options (e.g. <c>WidthMultiplier</c>); merged over <c>Model:ExpertOptions</c> when the plugin is the Model section's.</summary>
    public JsonObject? ExpertOptions { get; set; }

    /// <summary>Inner width of each routed expert of a from-scratch variant; default <c>Model:Moe:ExpertIntermediateSize</c>, else <c>Model:IntermediateSize</c>.</summary>
    public int? ExpertIntermediateSize { get; set; }

    /// <summary>Inner width of an always-on shared expert of a from-scratch variant; default <c>Model:Moe:SharedExpertIntermediateSize</c> (0: none).</summary>
    public int? SharedExpertIntermediateSize { get; set; }

    /// <summary>Domain embedder whose embeddings this upcycled variant's merge and router get; default <c>Recipe:Embedder</c>.</summary>
    public string? Embedder { get; set; }

    /// <summary>
    /// This variant's finetune budget (optimizer steps on the mixture; from scratch its whole training), or null for
    /// <c>Recipe:FinetuneSteps</c>: e.g. one router at two budgets in one run folder. Left out of the resolved settings when null.
    /// </summary>
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    public long? FinetuneSteps { get; set; }

    /// <summary>
    /// Training keys that replace those of the finetune (and extend) stage's settings for this variant (see
    /// <see cref="StageTraining"/>), or null. Left out of the resolved settings when null.
    /// </summary>
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    public JsonObject? Training { get; set; }

    /// <summary>True when the profile gives this variant a Training section and nothing else (no merge, router or any other setting).</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public bool HasOnlyTraining => Training is not null && string.Equals(From, Upcycle, StringComparison.Ordinal) && Merge is null && Router is null && RouterOptions is null
        && TopK is null && LoadBalanceWeight is null && RouterZLossWeight is null && MergeOptions is null && Experts is null && Expert is null && ExpertOptions is null
        && ExpertIntermediateSize is null && SharedExpertIntermediateSize is null && Embedder is null && FinetuneSteps is null;

    /// <summary>True unless the variant is trained from scratch.</summary>
    public bool IsUpcycled => !string.Equals(From, Scratch, StringComparison.OrdinalIgnoreCase);

    /// <summary>What is wrong with these settings: each problem's key (relative to the variant) and why the value is not allowed.</summary>
    public IEnumerable<(string Key, string Why)> Problems()
    {
        if (!string.Equals(From, Upcycle, StringComparison.OrdinalIgnoreCase) && !string.Equals(From, Scratch, StringComparison.OrdinalIgnoreCase))
        {
            yield return (nameof(From), $"'{Upcycle}' (merge the seed and the domain experts) or '{Scratch}' (a freshly initialised MoE)");
            yield break;
        }
        if (IsUpcycled)
        {
            if (string.IsNullOrWhiteSpace(Merge))
                yield return (nameof(Merge), $"a merge strategy plugin is required, such as btx, nexus or sparse-upcycle (or From={Scratch} for an MoE trained from scratch)");
            const string experts = "the experts of an upcycled variant are the dense domain experts' FFNs; set From=scratch to choose them";
            if (Expert is not null) yield return (nameof(Expert), experts);
            if (ExpertOptions is not null) yield return (nameof(ExpertOptions), experts);
            if (ExpertIntermediateSize is not null) yield return (nameof(ExpertIntermediateSize), experts);
            if (SharedExpertIntermediateSize is not null)
                yield return (nameof(SharedExpertIntermediateSize), "the merge strategy decides the shared expert of an upcycled variant (nexus: the seed's FFN); set From=scratch to choose it");
        }
        else
        {
            if (!string.IsNullOrWhiteSpace(Merge))
                yield return (nameof(Merge), $"a from-scratch variant (From={Scratch}) merges nothing; remove Merge, or set From={Upcycle}");
            if (MergeOptions is not null)
                yield return (nameof(MergeOptions), $"a from-scratch variant (From={Scratch}) merges nothing; remove MergeOptions, or set From={Upcycle}");
            if (!string.IsNullOrWhiteSpace(Embedder))
                yield return (nameof(Embedder), $"domain embeddings feed the merge of an upcycled variant, not one with From={Scratch}; give a from-scratch nexus router its embeddings in RouterOptions");
        }
        if (FinetuneSteps is < 0) yield return (nameof(FinetuneSteps), "0 or more optimizer steps (or leave it out for Recipe:FinetuneSteps)");
        if (TopK is < 1) yield return (nameof(TopK), "at least 1");
        if (Experts is < 1) yield return (nameof(Experts), "at least 1");
        if (ExpertIntermediateSize is < 1) yield return (nameof(ExpertIntermediateSize), "at least 1");
        if (SharedExpertIntermediateSize is < 0) yield return (nameof(SharedExpertIntermediateSize), "0 (none) or more");
        if (LoadBalanceWeight is < 0 or > 10) yield return (nameof(LoadBalanceWeight), "allowed values are 0 to 10");
        if (RouterZLossWeight is < 0 or > 10) yield return (nameof(RouterZLossWeight), "allowed values are 0 to 10");
        if (TopK is int k && Experts is int n && k > n) yield return (nameof(TopK), $"at most Experts ({n})");
    }
}
