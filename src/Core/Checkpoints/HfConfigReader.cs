// config.json -> ModelConfig: Hugging Face Llama / Mixtral / DeepSeek-MoE keys (with HF's defaults for
// optional keys; unknown keys ignored), completed by the "pluginmoe" section when present.
using System.Text.Json.Nodes;
using PluginMoE.Abstractions.Checkpoints;

namespace PluginMoE.Core.Checkpoints;

/// <summary>Reads config.json objects.</summary>
internal static class HfConfigReader
{
    private static readonly string[] ModelTypes = ["llama", "mixtral", "deepseek", "pluginmoe"];

    /// <summary>The layout, configuration and recorded checksum of config.json <paramref name="o"/> read from <paramref name="file"/>.</summary>
    /// <exception cref="CheckpointFormatException">A required key is missing, a value has the wrong type, or the config describes something PluginMoE cannot build.</exception>
    public static (CheckpointLayout Layout, ModelConfig Config, string? Sha256) Read(JsonObject o, string file)
    {
        var r = new ConfigJsonReader(file);
        var modelType = r.OptionalString(o, "model_type")
            ?? throw r.Error("model_type", $"is missing; PluginMoE reads config.json files with model_type {string.Join(", ", ModelTypes)}");
        var layout = modelType switch
        {
            "llama" => CheckpointLayout.Llama,
            "mixtral" => CheckpointLayout.Mixtral,
            "deepseek" => CheckpointLayout.DeepSeekMoe,
            "pluginmoe" => CheckpointLayout.PluginMoE,
            _ => throw r.Error("model_type", $"is '{modelType}', which PluginMoE cannot read; supported: {string.Join(", ", ModelTypes)}"),
        };
        bool hf = layout != CheckpointLayout.PluginMoE;
        var required = new List<string> { "vocab_size", "hidden_size", "intermediate_size", "num_hidden_layers", "num_attention_heads" };
        if (layout == CheckpointLayout.Mixtral) required.AddRange(["num_local_experts", "num_experts_per_tok"]);
        if (layout == CheckpointLayout.DeepSeekMoe) required.AddRange(["n_routed_experts", "num_experts_per_tok", "moe_intermediate_size"]);
        r = r with { RequiredHint = $" (a {modelType} config.json needs {string.Join(", ", required)})" };

        // HF defaults of the optional keys differ per model type (LlamaConfig / MixtralConfig / DeepseekConfig).
        bool mixtral = layout == CheckpointLayout.Mixtral;
        int heads = r.RequiredInt(o, "num_attention_heads");
        var c = new ModelConfig
        {
            VocabSize = r.RequiredInt(o, "vocab_size"),
            HiddenSize = r.RequiredInt(o, "hidden_size"),
            IntermediateSize = r.RequiredInt(o, "intermediate_size"),
            NumHiddenLayers = r.RequiredInt(o, "num_hidden_layers"),
            NumAttentionHeads = heads,
            NumKeyValueHeads = r.Int(o, "num_key_value_heads", heads),
            RmsNormEps = r.Double(o, "rms_norm_eps", mixtral ? 1e-5 : 1e-6),
            RopeTheta = r.Double(o, "rope_theta", mixtral ? 1e6 : 10000.0),
            MaxPositionEmbeddings = r.Int(o, "max_position_embeddings", mixtral ? 4096 * 32 : 2048),
            TieWordEmbeddings = r.Bool(o, "tie_word_embeddings", false),
        };
        CheckAttention(o, r, c);
        var (withSection, sectionMoe) = PluginMoeSection.Read(r.Object(o, PluginMoeSection.Key), c, r);
        c = withSection;
        if (hf)
        {
            var act = r.String(o, "hidden_act", "silu");
            if (act != "silu")
                throw r.Error("hidden_act", $"is '{act}'; PluginMoE builds Llama-family MLPs as SwiGLU, which needs \"silu\"");
            if (c.ExpertType != "swiglu")
                throw r.Error("pluginmoe.expert_type", $"is '{c.ExpertType}', but a {modelType} checkpoint has SwiGLU MLPs ('swiglu'); save it with the PluginMoE layout");
            foreach (var key in (string[])["attention_bias", "mlp_bias"])
                if (r.Bool(o, key, false)) throw r.Error(key, "is true; PluginMoE's attention and MLP projections have no biases");
        }
        var moe = layout switch
        {
            CheckpointLayout.Mixtral => Mixtral(o, r, sectionMoe),
            CheckpointLayout.DeepSeekMoe => DeepSeek(o, r, sectionMoe, c),
            _ => sectionMoe,
        };
        return (layout, c with { Moe = layout == CheckpointLayout.Llama ? null : moe }, PluginMoeSection.Checksum(r.Object(o, PluginMoeSection.Key), r));
    }

    private static void CheckAttention(JsonObject o, ConfigJsonReader r, ModelConfig c)
    {
        if (c.HiddenSize % c.NumAttentionHeads != 0)
            throw r.Error("num_attention_heads", $"({c.NumAttentionHeads}) does not divide hidden_size ({c.HiddenSize})");
        if (c.NumAttentionHeads % c.NumKeyValueHeads != 0)
            throw r.Error("num_key_value_heads", $"({c.NumKeyValueHeads}) does not divide num_attention_heads ({c.NumAttentionHeads})");
        if (r.OptionalInt(o, "head_dim") is { } hd && hd != c.HeadDim)
            throw r.Error("head_dim", $"is {hd}; PluginMoE uses head_dim = hidden_size / num_attention_heads = {c.HeadDim}");
        if (r.Object(o, "rope_scaling") is { } scaling)
            throw r.Error("rope_scaling", $"is {scaling.ToJsonString()}; PluginMoE supports plain RoPE only (rope_scaling null)");
    }

    private static MoeConfig Mixtral(JsonObject o, ConfigJsonReader r, MoeConfig? section)
    {
        var m = Base(section, r);
        return m with
        {
            NumExperts = r.RequiredInt(o, "num_local_experts"),
            TopK = r.RequiredInt(o, "num_experts_per_tok"),
            LoadBalanceWeight = r.Double(o, "router_aux_loss_coef", 0.001),
            ExpertIntermediateSize = null, // Mixtral's experts are intermediate_size wide
            RouterOptions = LinearRouterConvention.WithJitter(LinearRouterConvention.WithRenormalize(m.RouterOptions, true),
                r.Double(o, "router_jitter_noise", 0)),
            SharedExpertIntermediateSize = null,
            MoeLayers = null,
        };
    }

    private static MoeConfig DeepSeek(JsonObject o, ConfigJsonReader r, MoeConfig? section, ModelConfig c)
    {
        var m = Base(section, r);
        var scoring = r.String(o, "scoring_func", "softmax");
        if (scoring != "softmax") throw r.Error("scoring_func", $"is '{scoring}'; the linear router scores with \"softmax\"");
        int width = r.RequiredInt(o, "moe_intermediate_size");
        int firstK = r.Int(o, "first_k_dense_replace", 0), freq = r.Int(o, "moe_layer_freq", 1);
        if (freq < 1) throw r.Error("moe_layer_freq", $"is {freq}; it must be at least 1");
        int[] layers = [.. Enumerable.Range(0, c.NumHiddenLayers).Where(i => LayoutSelector.IsDeepSeekMoeLayer(i, firstK, freq))];
        int shared = r.Int(o, "n_shared_experts", 0);
        return m with
        {
            NumExperts = r.RequiredInt(o, "n_routed_experts"),
            TopK = r.RequiredInt(o, "num_experts_per_tok"),
            LoadBalanceWeight = r.Double(o, "aux_loss_alpha", 0.001),
            RouterOptions = LinearRouterConvention.WithRenormalize(m.RouterOptions, r.Bool(o, "norm_topk_prob", false)),
            ExpertIntermediateSize = width == c.IntermediateSize ? null : width,
            SharedExpertIntermediateSize = shared > 0 ? shared * width : m.SharedExpertIntermediateSize is 0 ? 0 : null,
            MoeLayers = layers.Length == c.NumHiddenLayers ? null : layers,
        };
    }

    /// <summary>The section's MoE settings (domains, z-loss weight, router options) or defaults; the router must be linear.</summary>
    private static MoeConfig Base(MoeConfig? section, ConfigJsonReader r)
    {
        var m = section ?? new MoeConfig { Router = LinearRouterConvention.Name };
        if (m.Router != LinearRouterConvention.Name)
            throw r.Error("pluginmoe.moe.router", $"is '{m.Router}', but Hugging Face MoE layouts hold the 'linear' router only; save it with the PluginMoE layout");
        return m;
    }
}
