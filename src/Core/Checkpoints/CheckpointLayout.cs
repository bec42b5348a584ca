// The file layouts a checkpoint folder can use: Hugging Face Llama, Mixtral and DeepSeek-MoE, or
// PluginMoE's own superset for what those cannot express.
namespace PluginMoE.Core.Checkpoints;

/// <summary>Tensor names and config.json keys of a checkpoint folder.</summary>
public enum CheckpointLayout
{
    /// <summary>
    /// Save only: the most widely readable layout that expresses the model exactly. A dense model with
    /// Llama-MLP FFNs gives <see cref="Llama"/>; an MoE whose routers are linear gates (as the modules report
    /// through <c>IHuggingFaceRouter</c>) that renormalise their top-k weights, with no shared expert and MoE
    /// blocks in every layer gives <see cref="Mixtral"/>; any other linear-gate MoE that DeepSeek-MoE's keys can
    /// describe (shared expert, no renormalisation, dense first layers) gives <see cref="DeepSeekMoe"/>; everything
    /// else gives <see cref="PluginMoE"/>.
    /// </summary>
    Auto,

    /// <summary>Hugging Face <c>LlamaForCausalLM</c> (<c>model_type: llama</c>): dense SwiGLU models.</summary>
    Llama,

    /// <summary>
    /// Hugging Face <c>MixtralForCausalLM</c> (<c>model_type: mixtral</c>): every layer an MoE block
    /// <c>block_sparse_moe</c> with a linear gate and SwiGLU experts <c>w1</c> (gate), <c>w2</c> (down), <c>w3</c> (up).
    /// </summary>
    Mixtral,

    /// <summary>
    /// DeepSeek-MoE (<c>model_type: deepseek</c>): <c>mlp.gate.weight</c>, <c>mlp.experts.{j}.*</c>,
    /// <c>mlp.shared_experts.*</c>, softmax scoring with optional top-k renormalisation (<c>norm_topk_prob</c>),
    /// dense first layers (<c>first_k_dense_replace</c>, <c>moe_layer_freq</c>).
    /// </summary>
    DeepSeekMoe,

    /// <summary>
    /// PluginMoE's own layout (<c>model_type: pluginmoe</c>): Llama keys and names for the dense parts,
    /// DeepSeek-MoE names for experts and shared expert, the router's own tensors under <c>mlp.gate.</c>,
    /// extra tensors as <c>pluginmoe.*</c>, and the MoE settings in config.json's <c>pluginmoe</c> section.
    /// </summary>
    PluginMoE,
}
