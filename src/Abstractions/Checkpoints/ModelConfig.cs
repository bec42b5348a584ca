// The model's configuration as stored in a checkpoint's config.json. Field names follow the Hugging
// Face Llama / Mixtral / DeepSeek-MoE configs; what those lack lives in the PluginMoE section.
using System.Text.Json.Nodes;

namespace PluginMoE.Abstractions.Checkpoints;

/// <summary>A decoder-only Llama-style LM, dense or with MoE FFN blocks.</summary>
public sealed record ModelConfig
{
    /// <summary>Vocabulary size (256 for the byte-level tokenizer).</summary>
    public int VocabSize { get; init; } = 256;

    /// <summary>Model width d (<c>hidden_size</c>).</summary>
    public int HiddenSize { get; init; } = 64;

    /// <summary>Inner width of the dense FFNs (<c>intermediate_size</c>); routed experts use <see cref="MoeConfig.ExpertIntermediateSize"/> when set.</summary>
    public int IntermediateSize { get; init; } = 176;

    /// <summary>Number of transformer blocks.</summary>
    public int NumHiddenLayers { get; init; } = 2;

    /// <summary>Query heads.</summary>
    public int NumAttentionHeads { get; init; } = 4;

    /// <summary>Key/value heads (grouped-query attention when fewer than the query heads).</summary>
    public int NumKeyValueHeads { get; init; } = 4;

    /// <summary>RMSNorm epsilon.</summary>
    public double RmsNormEps { get; init; } = 1e-5;

    /// <summary>RoPE base.</summary>
    public double RopeTheta { get; init; } = 10000.0;

    /// <summary>Longest context the model is trained and scored with.</summary>
    public int MaxPositionEmbeddings { get; init; } = 256;

    /// <summary>Whether the LM head shares the token embedding matrix.</summary>
    public bool TieWordEmbeddings { get; init; }

    /// <summary>Expert plugin used for every FFN (dense FFNs and routed experts).</summary>
    public string ExpertType { get; init; } = "swiglu";

    /// <summary>Options of the expert plugin (JSON), or null.</summary>
    public JsonObject? ExpertOptions { get; init; }

    /// <summary>MoE settings; null for a dense model.</summary>
    public MoeConfig? Moe { get; init; }

    /// <summary>
    /// The expert plugin and options of routed expert <paramref name="expert"/>: from <see cref="MoeConfig.ExpertGroups"/> when set (a group
    /// without options of this model's <see cref="ExpertType"/> takes <see cref="ExpertOptions"/>), else <see cref="ExpertType"/>.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">No such expert.</exception>
    public (string Expert, JsonObject? Options) RoutedExpert(int expert)
    {
        if (Moe?.ExpertGroups is not { } groups) return (ExpertType, ExpertOptions);
        int first = 0;
        foreach (var g in groups)
        {
            if (expert >= first && expert < first + g.Count)
                return (g.Expert, g.Options ?? (string.Equals(g.Expert, ExpertType, StringComparison.Ordinal) ? ExpertOptions : null));
            first += g.Count;
        }
        throw new ArgumentOutOfRangeException(nameof(expert), expert, $"the expert groups hold {first} experts");
    }

    /// <summary>
    /// This configuration with <paramref name="count"/> more routed experts of the model's <see cref="ExpertType"/> (ids
    /// <see cref="MoeConfig.NumExperts"/> on), as extension appends them; with <see cref="MoeConfig.ExpertGroups"/> they form a
    /// last group (or join the last one when it is that plugin with the model's options).
    /// </summary>
    /// <exception cref="InvalidOperationException">The model is dense.</exception>
    public ModelConfig WithMoreExperts(int count)
    {
        var m = Moe ?? throw new InvalidOperationException("a dense model has no routed experts to add to");
        if (m.ExpertGroups is not { Count: > 0 } groups) return this with { Moe = m with { NumExperts = m.NumExperts + count } };
        var last = groups[^1];
        IReadOnlyList<ExpertGroup> grown = string.Equals(last.Expert, ExpertType, StringComparison.Ordinal) && last.Options is null
            ? [.. groups.Take(groups.Count - 1), last with { Count = last.Count + count }]
            : [.. groups, new ExpertGroup(ExpertType, count)];
        return this with { Moe = m with { NumExperts = m.NumExperts + count, ExpertGroups = grown } };
    }

    /// <summary>Inner width of each routed expert: <see cref="MoeConfig.ExpertIntermediateSize"/>, or <see cref="IntermediateSize"/> when that is unset.</summary>
    public int ExpertIntermediateSize => Moe?.ExpertIntermediateSize ?? IntermediateSize;

    /// <summary>Width of one attention head.</summary>
    public int HeadDim => HiddenSize / NumAttentionHeads;
}

/// <summary>How the FFN blocks of an MoE model are built.</summary>
public sealed record MoeConfig
{
    /// <summary>Routed experts n.</summary>
    public int NumExperts { get; init; } = 4;

    /// <summary>Experts per token k.</summary>
    public int TopK { get; init; } = 2;

    /// <summary>Router plugin name (e.g. <c>linear</c>, <c>nexus</c>, <c>multi-head</c>).</summary>
    public string Router { get; init; } = "linear";

    /// <summary>Router plugin options (JSON), or null.</summary>
    public JsonObject? RouterOptions { get; init; }

    /// <summary>
    /// The routed experts as groups of one expert plugin each, in expert order (expert ids run through the groups), so that
    /// one layer mixes kinds: e.g. 8 <c>swiglu</c> experts and 4 <c>null</c> experts (MoE++/AdaMoE zero-computation experts)
    /// behind one router over 12. The counts must sum to <see cref="NumExperts"/>. Null (default): all
    /// <see cref="NumExperts"/> experts are the model's <see cref="ModelConfig.ExpertType"/>. Hugging Face layouts cannot
    /// hold groups (checkpoints with groups are saved in the PluginMoE layout).
    /// </summary>
    public IReadOnlyList<ExpertGroup>? ExpertGroups { get; init; }

    /// <summary>Inner width of each routed expert (DeepSeek-MoE <c>moe_intermediate_size</c>); null for the dense <see cref="ModelConfig.IntermediateSize"/>.</summary>
    public int? ExpertIntermediateSize { get; init; }

    /// <summary>Inner width of the always-on shared expert; null or 0 for none (Nexus uses the seed FFN).</summary>
    public int? SharedExpertIntermediateSize { get; init; }

    /// <summary>Layer indices with MoE blocks; null means every layer.</summary>
    public int[]? MoeLayers { get; init; }

    /// <summary>Domain name of each routed expert, in expert order (empty when experts are not domain experts).</summary>
    public IReadOnlyList<string> Domains { get; init; } = [];

    /// <summary>Weight alpha of the Switch load-balancing loss (BTX/MH-MoE 0.01, Nexus 0.05).</summary>
    public double LoadBalanceWeight { get; init; } = 0.01;

    /// <summary>Weight beta of the router z-loss (0 disables it).</summary>
    public double RouterZLossWeight { get; init; }

    /// <summary>True when layer <paramref name="layer"/> has an MoE block.</summary>
    public bool IsMoeLayer(int layer) => MoeLayers is null || MoeLayers.Contains(layer);
}

/// <summary>A run of routed experts of one plugin (see <see cref="MoeConfig.ExpertGroups"/>).</summary>
/// <param name="Expert">Expert plugin name (e.g. <c>swiglu</c>, <c>null</c>).</param>
/// <param name="Count">Number of experts in the group (at least 1).</param>
public sealed record ExpertGroup(string Expert, int Count)
{
    /// <summary>The plugin's options (JSON); null takes <see cref="ModelConfig.ExpertOptions"/> when the plugin is the model's <see cref="ModelConfig.ExpertType"/>, else none.</summary>
    public JsonObject? Options { get; init; }
}
