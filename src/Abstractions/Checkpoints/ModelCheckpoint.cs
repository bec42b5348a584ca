// A model in memory as merge strategies see it: its configuration and its tensors by canonical name.
using PluginMoE.Tensors;

namespace PluginMoE.Abstractions.Checkpoints;

/// <summary>
/// A model's configuration and parameters. Tensor names are PluginMoE's canonical names, which are the
/// Hugging Face Llama names for everything outside MoE blocks (<c>model.embed_tokens.weight</c>,
/// <c>model.layers.{i}.self_attn.q_proj.weight</c>, ...) and, inside an MoE block of layer i:
/// <c>model.layers.{i}.mlp.experts.{j}.{gate,up,down}_proj.weight</c> for routed experts,
/// <c>model.layers.{i}.mlp.shared_expert.*</c> for the shared expert and <c>model.layers.{i}.mlp.gate.*</c>
/// for the router. See <see cref="CanonicalNames"/>. Checkpoint writers translate to the Mixtral or DeepSeek-MoE file layouts.
/// </summary>
/// <param name="Config">The model configuration.</param>
/// <param name="Tensors">Parameters by canonical name.</param>
public sealed record ModelCheckpoint(ModelConfig Config, IReadOnlyDictionary<string, Tensor> Tensors)
{
    /// <summary>
    /// How the model maps onto Hugging Face modules, when known: set by the model (from its components) and by the
    /// checkpoint reader for Hugging Face files; null for checkpoints assembled from tensors alone, which are then
    /// saved in the PluginMoE layout.
    /// </summary>
    public HuggingFaceForm? HuggingFace { get; init; }

    /// <summary>The config.json file the checkpoint was read from, or null for one built in memory; hosts name it in errors about the config.</summary>
    public string? Source { get; init; }
}

/// <summary>Builders for canonical tensor names.</summary>
public static class CanonicalNames
{
    /// <summary>Prefix of layer <paramref name="layer"/>: <c>model.layers.{layer}.</c></summary>
    public static string Layer(int layer) => $"model.layers.{layer}.";

    /// <summary>Prefix of the dense FFN (or MoE block) of a layer: <c>model.layers.{layer}.mlp.</c></summary>
    public static string Mlp(int layer) => $"{Layer(layer)}mlp.";

    /// <summary>Prefix of routed expert <paramref name="expert"/> of a layer.</summary>
    public static string Expert(int layer, int expert) => $"{Mlp(layer)}experts.{expert}.";

    /// <summary>Prefix of the shared expert of a layer.</summary>
    public static string SharedExpert(int layer) => $"{Mlp(layer)}shared_expert.";

    /// <summary>Prefix of the router of a layer.</summary>
    public static string Router(int layer) => $"{Mlp(layer)}gate.";

    /// <summary>Fixed per-expert domain embeddings (n, m) used by domain-aware routers (Nexus).</summary>
    public const string DomainEmbeddings = "pluginmoe.domain_embeddings";
}
