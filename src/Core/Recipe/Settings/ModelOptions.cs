// The Model section: the profile's view of the checkpoint's ModelConfig. Its only jobs are the key names a profile
// uses (Layers, Heads, Moe:Experts ...: short, and stable in recorded settings) and the profile conveniences (Experts 0
// for a dense model or the groups' sum, TopK left to the router); defaults are ModelConfig's, and every rule lives in
// Core's ModelRules, which checkpoint loading uses too (Validate maps the problems back to these key names).
using System.ComponentModel.DataAnnotations;
using PluginMoE.Core.Model;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using PluginMoE.Abstractions.Checkpoints;

namespace PluginMoE.Core.Recipe.Settings;

/// <summary>Architecture of the model (see <see cref="ModelConfig"/> for the meaning of each field).</summary>
public sealed class ModelOptions : ISectionOptions, IValidatableObject
{
    /// <inheritdoc/>
    public static string SectionName => "Model";

    // The checkpoint config's defaults are the profile's.
    private static readonly ModelConfig Defaults = new();

    /// <summary>Vocabulary size; 256 for the byte tokenizer.</summary>
    public int VocabSize { get; set; } = Defaults.VocabSize;

    /// <summary>Model width d.</summary>
    public int HiddenSize { get; set; } = Defaults.HiddenSize;

    /// <summary>FFN inner width (per routed expert in an MoE).</summary>
    public int IntermediateSize { get; set; } = Defaults.IntermediateSize;

    /// <summary>Transformer blocks.</summary>
    public int Layers { get; set; } = Defaults.NumHiddenLayers;

    /// <summary>Query heads.</summary>
    public int Heads { get; set; } = Defaults.NumAttentionHeads;

    /// <summary>Key/value heads (fewer than <see cref="Heads"/> for grouped-query attention).</summary>
    public int KeyValueHeads { get; set; } = Defaults.NumKeyValueHeads;

    /// <summary>Longest context.</summary>
    public int MaxPositions { get; set; } = Defaults.MaxPositionEmbeddings;

    /// <summary>RMSNorm epsilon.</summary>
    public double RmsNormEps { get; set; } = Defaults.RmsNormEps;

    /// <summary>RoPE base.</summary>
    public double RopeTheta { get; set; } = Defaults.RopeTheta;

    /// <summary>Share the LM head with the token embedding.</summary>
    public bool TieEmbeddings { get; set; }

    /// <summary>Expert plugin of every FFN (e.g. <c>swiglu</c>, <c>gelu</c>).</summary>
    public string Expert { get; set; } = Defaults.ExpertType;

    /// <summary>The expert plugin's own options section (bound by the plugin's options type).</summary>
    public JsonObject? ExpertOptions { get; set; }

    /// <summary>MoE blocks; <see cref="MoeOptions.Experts"/> = 0 trains a dense model.</summary>
    public MoeOptions Moe { get; set; } = new();

    /// <summary>True when the model has MoE blocks.</summary>
    public bool IsMoe => Moe.Experts != 0 || Moe.ExpertGroups is { Length: > 0 };

    /// <summary>The checkpoint configuration of this architecture; <paramref name="defaultTopK"/> is used when <see cref="MoeOptions.TopK"/> is not set (the router's default).</summary>
    public ModelConfig ToModelConfig(int defaultTopK = Abstractions.Routing.IRouterFactory.FallbackTopK) => new()
    {
        VocabSize = VocabSize,
        HiddenSize = HiddenSize,
        IntermediateSize = IntermediateSize,
        NumHiddenLayers = Layers,
        NumAttentionHeads = Heads,
        NumKeyValueHeads = KeyValueHeads,
        MaxPositionEmbeddings = MaxPositions,
        RmsNormEps = RmsNormEps,
        RopeTheta = RopeTheta,
        TieWordEmbeddings = TieEmbeddings,
        ExpertType = Expert,
        ExpertOptions = ExpertOptions,
        Moe = IsMoe ? Moe.ToMoeConfig(defaultTopK) : null,
    };

    /// <summary>The profile's key names of <see cref="ModelConfig"/>'s properties (relative to the Model section).</summary>
    public static ModelKeyNames KeyNames { get; } = new(new Dictionary<string, string>(StringComparer.Ordinal)
    {
        [nameof(ModelConfig.NumHiddenLayers)] = nameof(Layers),
        [nameof(ModelConfig.NumAttentionHeads)] = nameof(Heads),
        [nameof(ModelConfig.NumKeyValueHeads)] = nameof(KeyValueHeads),
        [nameof(ModelConfig.MaxPositionEmbeddings)] = nameof(MaxPositions),
        [nameof(ModelConfig.TieWordEmbeddings)] = nameof(TieEmbeddings),
        [nameof(ModelConfig.ExpertType)] = nameof(Expert),
        [$"{nameof(ModelConfig.Moe)}.{nameof(MoeConfig.NumExperts)}"] = $"{nameof(Moe)}:{nameof(MoeOptions.Experts)}",
        [$"{nameof(ModelConfig.Moe)}.{nameof(MoeConfig.MoeLayers)}"] = $"{nameof(Moe)}:{nameof(MoeOptions.Layers)}",
        [$"{nameof(ModelConfig.Moe)}.{nameof(MoeConfig.ExpertGroups)}"] = $"{nameof(Moe)}:{nameof(MoeOptions.ExpertGroups)}",
    }, GroupsSumHint: " or leave it out (0 takes the groups' sum)");

    /// <inheritdoc/>
    /// <remarks>The rules are <see cref="ModelRules"/>'s (the same as for a loaded checkpoint), worded with the profile's key names.</remarks>
    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        var config = ToModelConfig();
        // A dense model's Moe section is still checked: the recipe's MoE variants build on it.
        if (!IsMoe)
        {
            int topK = Moe.TopK ?? 1;
            config = config with { Moe = Moe.ToMoeConfig() with { TopK = topK, NumExperts = Math.Clamp(topK, 1, ModelRules.MaxExperts) } };
        }
        return ModelRules.Check(config, KeyNames).Select(p => new ValidationResult(p.Why, [p.Key]));
    }
}

/// <summary>The MoE blocks of <see cref="ModelOptions"/> (see <see cref="MoeConfig"/>).</summary>
public sealed class MoeOptions
{
    /// <summary>Routed experts per MoE block; 0 for a dense model.</summary>
    public int Experts { get; set; }

    /// <summary>Experts per token; left out (null), the router's own default (<c>IRouterFactory.DefaultTopK</c>: nexus 1, the others 2), at most <see cref="Experts"/>.</summary>
    public int? TopK { get; set; }

    /// <summary>Router plugin (e.g. <c>linear</c>).</summary>
    public string Router { get; set; } = "linear";

    /// <summary>The router plugin's own options section.</summary>
    public JsonObject? RouterOptions { get; set; }

    /// <summary>
    /// The routed experts as groups of one expert plugin each, to mix kinds in one layer: e.g. <c>[{"Expert": "swiglu", "Count": 8},
    /// {"Expert": "null", "Count": 4}]</c> (MoE++/AdaMoE: null experts beside the FFN experts, one router over all 12). Null: every
    /// routed expert is <see cref="ModelOptions.Expert"/>. With groups, <see cref="Experts"/> is their sum (0 takes it).
    /// </summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] // absent from recorded settings unless used (older run folders stay resumable)
    public ExpertGroupOptions[]? ExpertGroups { get; set; }

    /// <summary>Routed experts: <see cref="Experts"/>, or the sum of the <see cref="ExpertGroups"/> when that is 0.</summary>
    [JsonIgnore]
    public int RoutedExperts => Experts != 0 ? Experts : ExpertGroups?.Sum(g => g.Count) ?? 0;

    /// <summary>Inner width of each routed expert (DeepSeek's moe_intermediate_size); 0 for the dense IntermediateSize.</summary>
    public int ExpertIntermediateSize { get; set; }

    /// <summary>Inner width of an always-on shared expert; 0 for none.</summary>
    public int SharedExpertIntermediateSize { get; set; }

    /// <summary>Layers with MoE blocks; empty for every layer.</summary>
    public int[]? Layers { get; set; }

    /// <summary>Weight of the Switch load-balancing loss.</summary>
    public double LoadBalanceWeight { get; set; } = 0.01;

    /// <summary>Weight of the router z-loss (0 disables it).</summary>
    public double RouterZLossWeight { get; set; }

    /// <summary>The checkpoint's MoE configuration; <paramref name="defaultTopK"/> (capped at <see cref="Experts"/>) when <see cref="TopK"/> is not set.</summary>
    public MoeConfig ToMoeConfig(int defaultTopK = Abstractions.Routing.IRouterFactory.FallbackTopK) => new()
    {
        NumExperts = RoutedExperts,
        ExpertGroups = ExpertGroups is { Length: > 0 } g ? [.. g.Select(x => new ExpertGroup(x.Expert, x.Count) { Options = x.Options })] : null,
        TopK = TopK ?? Math.Max(1, Math.Min(defaultTopK, RoutedExperts)),
        Router = Router,
        RouterOptions = RouterOptions,
        ExpertIntermediateSize = ExpertIntermediateSize != 0 ? ExpertIntermediateSize : null,
        SharedExpertIntermediateSize = SharedExpertIntermediateSize != 0 ? SharedExpertIntermediateSize : null,
        MoeLayers = Layers is { Length: > 0 } l ? l : null,
        LoadBalanceWeight = LoadBalanceWeight,
        RouterZLossWeight = RouterZLossWeight,
    };
}

/// <summary>One group of <see cref="MoeOptions.ExpertGroups"/> (see <see cref="ExpertGroup"/>).</summary>
public sealed class ExpertGroupOptions
{
    /// <summary>Expert plugin of the group (e.g. <c>swiglu</c>, <c>gelu</c>, <c>null</c>).</summary>
    public string Expert { get; set; } = "";

    /// <summary>Experts in the group.</summary>
    public int Count { get; set; }

    /// <summary>The plugin's options; when absent, a group of <see cref="ModelOptions.Expert"/> takes <see cref="ModelOptions.ExpertOptions"/>.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public JsonObject? Options { get; set; }
}
