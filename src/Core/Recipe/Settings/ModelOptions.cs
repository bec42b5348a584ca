// The Model section: the architecture of the model a profile trains (ModelConfig fields with short names),
// the expert plugin and, when Moe:Experts > 0, the MoE blocks and their router plugin.
using System.ComponentModel.DataAnnotations;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using PluginMoE.Abstractions.Checkpoints;

namespace PluginMoE.Core.Recipe.Settings;

/// <summary>Architecture of the model (see <see cref="ModelConfig"/> for the meaning of each field).</summary>
public sealed class ModelOptions : ISectionOptions, IValidatableObject
{
    /// <inheritdoc/>
    public static string SectionName => "Model";

    /// <summary>Vocabulary size; 256 for the byte tokenizer.</summary>
    [Range(2, 1 << 20)]
    public int VocabSize { get; set; } = 256;

    /// <summary>Model width d.</summary>
    [Range(8, 65536)]
    public int HiddenSize { get; set; } = 64;

    /// <summary>FFN inner width (per routed expert in an MoE).</summary>
    [Range(1, 1 << 20)]
    public int IntermediateSize { get; set; } = 176;

    /// <summary>Transformer blocks.</summary>
    [Range(1, 1024)]
    public int Layers { get; set; } = 2;

    /// <summary>Query heads.</summary>
    [Range(1, 1024)]
    public int Heads { get; set; } = 4;

    /// <summary>Key/value heads (fewer than <see cref="Heads"/> for grouped-query attention).</summary>
    [Range(1, 1024)]
    public int KeyValueHeads { get; set; } = 4;

    /// <summary>Longest context.</summary>
    [Range(2, 1 << 20)]
    public int MaxPositions { get; set; } = 256;

    /// <summary>RMSNorm epsilon.</summary>
    [Range(1e-12, 1e-1)]
    public double RmsNormEps { get; set; } = 1e-5;

    /// <summary>RoPE base.</summary>
    [Range(1.0, 1e9)]
    public double RopeTheta { get; set; } = 10000.0;

    /// <summary>Share the LM head with the token embedding.</summary>
    public bool TieEmbeddings { get; set; }

    /// <summary>Expert plugin of every FFN (e.g. <c>swiglu</c>, <c>gelu</c>).</summary>
    [Required]
    public string Expert { get; set; } = "swiglu";

    /// <summary>The expert plugin's own options section (bound by the plugin's options type).</summary>
    public JsonObject? ExpertOptions { get; set; }

    /// <summary>MoE blocks; <see cref="MoeOptions.Experts"/> = 0 trains a dense model.</summary>
    public MoeOptions Moe { get; set; } = new();

    /// <summary>True when the model has MoE blocks.</summary>
    public bool IsMoe => Moe.Experts > 0 || Moe.ExpertGroups is { Length: > 0 };

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

    /// <inheritdoc/>
    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        // Heads and KeyValueHeads below 1 are reported by their ranges; the checks that divide by them are skipped.
        if (Heads >= 1 && HiddenSize % Heads != 0)
            yield return new ValidationResult($"must be a multiple of Heads ({Heads})", [nameof(HiddenSize)]);
        else if (Heads >= 1 && HiddenSize / Heads % 2 != 0)
            yield return new ValidationResult($"HiddenSize / Heads (the head width, {HiddenSize / Heads}) must be even for rotary embeddings", [nameof(HiddenSize)]);
        if (KeyValueHeads >= 1 && Heads % KeyValueHeads != 0)
            yield return new ValidationResult($"must divide Heads ({Heads})", [nameof(KeyValueHeads)]);
        if (Moe.ExpertGroups is { Length: > 0 } groups)
        {
            for (int g = 0; g < groups.Length; g++)
            {
                string key = $"{nameof(Moe)}:{nameof(MoeOptions.ExpertGroups)}:{g}";
                if (string.IsNullOrWhiteSpace(groups[g].Expert))
                    yield return new ValidationResult("required: the expert plugin of the group, e.g. swiglu or null", [$"{key}:{nameof(ExpertGroupOptions.Expert)}"]);
                if (groups[g].Count < 1)
                    yield return new ValidationResult($"a group has at least 1 expert (Count is {groups[g].Count})", [$"{key}:{nameof(ExpertGroupOptions.Count)}"]);
            }
            int sum = groups.Sum(g => Math.Max(g.Count, 0));
            if (Moe.Experts > 0 && Moe.Experts != sum)
                yield return new ValidationResult(
                    $"Moe:ExpertGroups hold {string.Join(" + ", groups.Select(g => $"{g.Count} '{g.Expert}'"))} = {sum} experts; set Experts to {sum} or leave it out (0 takes the groups' sum)",
                    [$"{nameof(Moe)}:{nameof(MoeOptions.Experts)}"]);
        }
        if (IsMoe && Moe.TopK is int k && k > Moe.RoutedExperts)
            yield return new ValidationResult($"must be at most Moe:Experts ({Moe.RoutedExperts})", [$"{nameof(Moe)}:{nameof(MoeOptions.TopK)}"]);
        foreach (var layer in Moe.Layers ?? [])
            if (layer < 0 || layer >= Layers)
                yield return new ValidationResult($"layer {layer} does not exist; layers are 0 to {Layers - 1}", [$"{nameof(Moe)}:{nameof(MoeOptions.Layers)}"]);
    }
}

/// <summary>The MoE blocks of <see cref="ModelOptions"/> (see <see cref="MoeConfig"/>).</summary>
public sealed class MoeOptions
{
    /// <summary>Routed experts per MoE block; 0 for a dense model.</summary>
    [Range(0, 4096)]
    public int Experts { get; set; }

    /// <summary>Experts per token; left out (null), the router's own default (<c>IRouterFactory.DefaultTopK</c>: nexus 1, the others 2), at most <see cref="Experts"/>.</summary>
    [Range(1, 4096)]
    public int? TopK { get; set; }

    /// <summary>Router plugin (e.g. <c>linear</c>).</summary>
    [Required]
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
    public int RoutedExperts => Experts > 0 ? Experts : ExpertGroups?.Sum(g => g.Count) ?? 0;

    /// <summary>Inner width of each routed expert (DeepSeek's moe_intermediate_size); 0 for the dense IntermediateSize.</summary>
    [Range(0, 1 << 20)]
    public int ExpertIntermediateSize { get; set; }

    /// <summary>Inner width of an always-on shared expert; 0 for none.</summary>
    [Range(0, 1 << 20)]
    public int SharedExpertIntermediateSize { get; set; }

    /// <summary>Layers with MoE blocks; empty for every layer.</summary>
    public int[]? Layers { get; set; }

    /// <summary>Weight of the Switch load-balancing loss.</summary>
    [Range(0.0, 10.0)]
    public double LoadBalanceWeight { get; set; } = 0.01;

    /// <summary>Weight of the router z-loss (0 disables it).</summary>
    [Range(0.0, 10.0)]
    public double RouterZLossWeight { get; set; }

    /// <summary>The checkpoint's MoE configuration; <paramref name="defaultTopK"/> (capped at <see cref="Experts"/>) when <see cref="TopK"/> is not set.</summary>
    public MoeConfig ToMoeConfig(int defaultTopK = Abstractions.Routing.IRouterFactory.FallbackTopK) => new()
    {
        NumExperts = RoutedExperts,
        ExpertGroups = ExpertGroups is { Length: > 0 } g ? [.. g.Select(x => new ExpertGroup(x.Expert, x.Count) { Options = x.Options })] : null,
        TopK = TopK ?? Math.Max(1, Math.Min(defaultTopK, RoutedExperts)),
        Router = Router,
        RouterOptions = RouterOptions,
        ExpertIntermediateSize = ExpertIntermediateSize > 0 ? ExpertIntermediateSize : null,
        SharedExpertIntermediateSize = SharedExpertIntermediateSize > 0 ? SharedExpertIntermediateSize : null,
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
