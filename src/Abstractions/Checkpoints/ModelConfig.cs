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
