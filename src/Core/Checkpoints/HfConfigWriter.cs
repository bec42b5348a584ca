// ModelConfig -> config.json in the Hugging Face keys of a layout (LlamaConfig, MixtralConfig,
// DeepseekConfig), plus the "pluginmoe" section with what those keys lack and the weights' checksum.
using System.Text.Json.Nodes;
using PluginMoE.Abstractions.Checkpoints;

namespace PluginMoE.Core.Checkpoints;

/// <summary>Writes config.json objects.</summary>
internal static class HfConfigWriter
{
    /// <summary>The config.json object of <paramref name="c"/> in <paramref name="layout"/> (a concrete layout that expresses it).</summary>
    /// <param name="c">The model configuration.</param>
    /// <param name="layout">Llama, Mixtral, DeepSeekMoe or PluginMoE.</param>
    /// <param name="torchDType">The stored float type, as PyTorch names it (<c>float32</c>, <c>bfloat16</c>).</param>
    /// <param name="sha256">SHA-256 of model.safetensors, lower-case hex.</param>
    /// <param name="form">The model's Hugging Face form (activation, gate normalisation, jitter); null for the PluginMoE layout.</param>
    public static JsonObject Write(ModelConfig c, CheckpointLayout layout, string torchDType, string sha256, HuggingFaceForm? form)
    {
        var (arch, modelType) = layout switch
        {
            CheckpointLayout.Llama => ("LlamaForCausalLM", "llama"),
            CheckpointLayout.Mixtral => ("MixtralForCausalLM", "mixtral"),
            CheckpointLayout.DeepSeekMoe => ("DeepseekForCausalLM", "deepseek"),
            _ => ("PluginMoEForCausalLM", "pluginmoe"),
        };
        var o = new JsonObject
        {
            ["architectures"] = new JsonArray(arch),
            ["model_type"] = modelType,
            ["vocab_size"] = c.VocabSize,
            ["hidden_size"] = c.HiddenSize,
            // Mixtral has only MoE layers: its intermediate_size is the experts' width.
            ["intermediate_size"] = layout == CheckpointLayout.Mixtral ? c.ExpertIntermediateSize : c.IntermediateSize,
            ["num_hidden_layers"] = c.NumHiddenLayers,
            ["num_attention_heads"] = c.NumAttentionHeads,
            ["num_key_value_heads"] = c.NumKeyValueHeads,
            ["head_dim"] = c.HeadDim,
            ["max_position_embeddings"] = c.MaxPositionEmbeddings,
            ["rms_norm_eps"] = c.RmsNormEps,
            ["rope_theta"] = c.RopeTheta,
            ["rope_scaling"] = null,
            ["tie_word_embeddings"] = c.TieWordEmbeddings,
            ["attention_bias"] = false,
            ["mlp_bias"] = false,
            ["torch_dtype"] = torchDType,
        };
        // HF's Llama-family MLP is act(gate(x)) * up(x); the experts report their activation (SwiGLU: "silu").
        if (form?.HiddenAct is { } act) o["hidden_act"] = act;
        if (c.Moe is { } moe)
        {
            if (layout == CheckpointLayout.Mixtral)
            {
                o["num_local_experts"] = moe.NumExperts;
                o["num_experts_per_tok"] = moe.TopK;
                o["router_aux_loss_coef"] = moe.LoadBalanceWeight;
                o["router_jitter_noise"] = form?.RouterJitterNoise ?? 0;
                o["sliding_window"] = null;
            }
            else if (layout == CheckpointLayout.DeepSeekMoe)
            {
                var (firstK, freq) = LayoutSelector.DenseLayerPattern(c) ?? (0, 1);
                o["n_routed_experts"] = moe.NumExperts;
                o["n_shared_experts"] = moe.SharedExpertIntermediateSize is > 0 and var s ? s / c.ExpertIntermediateSize : null;
                o["moe_intermediate_size"] = c.ExpertIntermediateSize;
                o["num_experts_per_tok"] = moe.TopK;
                o["norm_topk_prob"] = form?.RenormalizeTopK ?? false;
                o["scoring_func"] = "softmax";
                o["first_k_dense_replace"] = firstK;
                o["moe_layer_freq"] = freq;
                o["aux_loss_alpha"] = moe.LoadBalanceWeight;
                o["seq_aux"] = false;
            }
        }
        o[PluginMoeSection.Key] = PluginMoeSection.Write(c, sha256, routerFromForm: form is { RouterOptionsFromForm: true } && c.Moe is { RouterOptions: null });
        return o;
    }
}
