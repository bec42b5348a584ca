// config.json -> ModelConfig: Hugging Face Llama / Mixtral / DeepSeek-MoE keys (with HF's defaults for
// optional keys; unknown keys ignored), completed by the "pluginmoe" section when present.
using System.Text.Json.Nodes;
using PluginMoE.Abstractions.Checkpoints;

namespace PluginMoE.Core.Checkpoints;

/// <summary>Reads config.json objects.</summary>
internal static class HfConfigReader
{
    private static readonly string[] ModelTypes = ["llama", "mixtral", "deepseek", "pluginmoe"];

    /// <summary>
    /// The layout, configuration, Hugging Face form (null for the PluginMoE layout) and recorded checksum of config.json
    /// <paramref name="o"/> read from <paramref name="file"/>. Without a <c>pluginmoe</c> section (a file written by another
    /// tool) the router is <see cref="MoeConfig.Router"/>'s default with no options and the form says so
    /// (<see cref="HuggingFaceForm.RouterOptionsFromForm"/>): the model asks the router plugin for matching options.
    /// </summary>
    /// <exception cref="CheckpointFormatException">A required key is missing, a value has the wrong type, or the config describes something PluginMoE cannot build.</exception>
    public static (CheckpointLayout Layout, ModelConfig Config, HuggingFaceForm? Form, string? Sha256) Read(JsonObject o, string file)
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
        CheckRanges(r, c);
        CheckAttention(o, r, c);
        var (withSection, sectionMoe, routerNamed) = PluginMoeSection.Read(r.Object(o, PluginMoeSection.Key), c, r);
        c = withSection;
        if (hf)
        {
            var act = r.String(o, "hidden_act", "silu");
            if (act != "silu")
                throw r.Error("hidden_act", $"is '{act}'; PluginMoE builds Llama-family MLPs as SwiGLU, which needs \"silu\"");
            foreach (var key in (string[])["attention_bias", "mlp_bias"])
                if (r.Bool(o, key, false)) throw r.Error(key, "is true; PluginMoE's attention and MLP projections have no biases");
        }
        var moe = layout switch
        {
            CheckpointLayout.Mixtral => Mixtral(o, r, sectionMoe),
            CheckpointLayout.DeepSeekMoe => DeepSeek(o, r, sectionMoe, c),
            _ => sectionMoe,
        };
        HuggingFaceForm? form = layout switch
        {
            CheckpointLayout.PluginMoE => null,
            CheckpointLayout.Llama => new HuggingFaceForm { HiddenAct = "silu" },
            _ => new HuggingFaceForm
            {
                HiddenAct = "silu",
                RenormalizeTopK = layout == CheckpointLayout.Mixtral || r.Bool(o, "norm_topk_prob", false),
                RouterJitterNoise = layout == CheckpointLayout.Mixtral ? r.Double(o, "router_jitter_noise", 0) : 0,
                RouterOptionsFromForm = !routerNamed,
            },
        };
        if (layout != CheckpointLayout.Llama && moe is not null) CheckMoe(r, layout, c, moe, form?.RouterJitterNoise ?? 0);
        var config = c with { Moe = layout == CheckpointLayout.Llama ? null : moe };
        // The architecture rules are the ones a profile's Model section is checked with (ModelRules), after the format's own checks.
        if (Model.ModelRules.Check(config, KeyNames(layout)) is { Count: > 0 } problems)
            throw new CheckpointFormatException(file, $"'{file}': {string.Join("; ", problems)}");
        return (layout, config, form, PluginMoeSection.Checksum(r.Object(o, PluginMoeSection.Key), r));
    }

    // Largest values read; beyond them sizes overflow or no machine holds the model. The checks run before any
    // value is used, so a config with zeros, negatives or absurd sizes fails here, naming the key and the range.
    private const int MaxWidth = 1 << 22, MaxLayers = 10_000, MaxExperts = 1 << 16, MaxVocab = 1 << 24, MaxPositions = 1 << 24;

    private static void CheckRanges(ConfigJsonReader r, ModelConfig c)
    {
        r.InRange("vocab_size", c.VocabSize, 1, MaxVocab);
        r.InRange("hidden_size", c.HiddenSize, 1, MaxWidth);
        r.InRange("intermediate_size", c.IntermediateSize, 1, MaxWidth);
        r.InRange("num_hidden_layers", c.NumHiddenLayers, 1, MaxLayers);
        r.InRange("num_attention_heads", c.NumAttentionHeads, 1, c.HiddenSize, "at most hidden_size, which it must divide");
        r.InRange("num_key_value_heads", c.NumKeyValueHeads, 1, c.NumAttentionHeads, "at most num_attention_heads, which it must divide");
        r.InRange("max_position_embeddings", c.MaxPositionEmbeddings, 1, MaxPositions);
        r.InRange("rms_norm_eps", c.RmsNormEps, 0, 1);
        r.InRange("rope_theta", c.RopeTheta, 0);
    }

    /// <summary>The MoE values, under the keys this layout stores them in.</summary>
    private static void CheckMoe(ConfigJsonReader r, CheckpointLayout layout, ModelConfig c, MoeConfig m, double jitter)
    {
        const string Section = PluginMoeSection.Key + ".moe.";
        var (experts, topK, weight) = layout switch
        {
            CheckpointLayout.Mixtral => ("num_local_experts", "num_experts_per_tok", "router_aux_loss_coef"),
            CheckpointLayout.DeepSeekMoe => ("n_routed_experts", "num_experts_per_tok", "aux_loss_alpha"),
            _ => (Section + "num_experts", Section + "top_k", Section + "load_balance_weight"),
        };
        r.InRange(experts, m.NumExperts, 1, MaxExperts);
        r.InRange(topK, m.TopK, 1, m.NumExperts, $"at most {experts}");
        r.NotNegative(weight, m.LoadBalanceWeight);
        r.NotNegative(Section + "router_z_loss_weight", m.RouterZLossWeight);
        if (layout == CheckpointLayout.Mixtral) r.NotNegative("router_jitter_noise", jitter);
        if (m.ExpertIntermediateSize is { } width)
            r.InRange(layout == CheckpointLayout.DeepSeekMoe ? "moe_intermediate_size" : Section + "expert_intermediate_size", width, 1, MaxWidth);
        if (m.SharedExpertIntermediateSize is { } shared)
            r.InRange(layout == CheckpointLayout.DeepSeekMoe ? "n_shared_experts * moe_intermediate_size" : Section + "shared_expert_intermediate_size", shared, 0, MaxWidth);
        foreach (var layer in m.MoeLayers ?? [])
            r.InRange(Section + "moe_layers", layer, 0, c.NumHiddenLayers - 1, "layer indices of the model");
        if (m.MoeLayers is { } layers && layers.Distinct().Count() != layers.Length)
            throw r.Error(Section + "moe_layers", $"lists a layer twice ({string.Join(", ", layers)}); list each MoE layer once");
        if (m.ExpertGroups is { } groups)
        {
            if (layout != CheckpointLayout.PluginMoE)
                throw r.Error(Section + "expert_groups",
                    $"mixes expert kinds ({Model.TransformerLM.Groups(groups)}) but model_type is '{LayoutModelType(layout)}': Hugging Face layouts have one kind of expert; a checkpoint with expert groups is saved with model_type \"pluginmoe\"");
            if (groups.Sum(g => g.Count) != m.NumExperts)
                throw r.Error(Section + "expert_groups", $"holds {groups.Sum(g => g.Count)} experts ({Model.TransformerLM.Groups(groups)}) but {experts} is {m.NumExperts}; they must be equal");
        }
        if (m.Domains.Count > 0 && m.Domains.Count != m.NumExperts)
            throw r.Error(Section + "domains", $"names {m.Domains.Count} domains for {m.NumExperts} experts ({experts}); give one per expert or none");
    }

    /// <summary>How <paramref name="layout"/>'s config.json names the <see cref="ModelConfig"/> properties (for <see cref="Model.ModelRules"/> messages).</summary>
    internal static Model.ModelKeyNames KeyNames(CheckpointLayout layout)
    {
        const string Moe = nameof(ModelConfig.Moe), Section = PluginMoeSection.Key + ".moe.";
        var names = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            [nameof(ModelConfig.VocabSize)] = "vocab_size",
            [nameof(ModelConfig.HiddenSize)] = "hidden_size",
            [nameof(ModelConfig.IntermediateSize)] = "intermediate_size",
            [nameof(ModelConfig.NumHiddenLayers)] = "num_hidden_layers",
            [nameof(ModelConfig.NumAttentionHeads)] = "num_attention_heads",
            [nameof(ModelConfig.NumKeyValueHeads)] = "num_key_value_heads",
            [nameof(ModelConfig.MaxPositionEmbeddings)] = "max_position_embeddings",
            [nameof(ModelConfig.RmsNormEps)] = "rms_norm_eps",
            [nameof(ModelConfig.RopeTheta)] = "rope_theta",
            [nameof(ModelConfig.ExpertType)] = PluginMoeSection.Key + ".expert_type",
            // What only the PluginMoE section holds, whatever the layout.
            [Moe] = PluginMoeSection.Key + ".moe",
            [$"{Moe}.{nameof(MoeConfig.NumExperts)}"] = Section + "num_experts",
            [$"{Moe}.{nameof(MoeConfig.TopK)}"] = Section + "top_k",
            [$"{Moe}.{nameof(MoeConfig.LoadBalanceWeight)}"] = Section + "load_balance_weight",
            [$"{Moe}.{nameof(MoeConfig.ExpertIntermediateSize)}"] = Section + "expert_intermediate_size",
            [$"{Moe}.{nameof(MoeConfig.SharedExpertIntermediateSize)}"] = Section + "shared_expert_intermediate_size",
            [$"{Moe}.{nameof(MoeConfig.MoeLayers)}"] = Section + "moe_layers",
        };
        switch (layout)
        {
            case CheckpointLayout.Mixtral:
                names[$"{Moe}.{nameof(MoeConfig.NumExperts)}"] = "num_local_experts";
                names[$"{Moe}.{nameof(MoeConfig.TopK)}"] = "num_experts_per_tok";
                names[$"{Moe}.{nameof(MoeConfig.LoadBalanceWeight)}"] = "router_aux_loss_coef";
                break;
            case CheckpointLayout.DeepSeekMoe:
                names[$"{Moe}.{nameof(MoeConfig.NumExperts)}"] = "n_routed_experts";
                names[$"{Moe}.{nameof(MoeConfig.TopK)}"] = "num_experts_per_tok";
                names[$"{Moe}.{nameof(MoeConfig.LoadBalanceWeight)}"] = "aux_loss_alpha";
                names[$"{Moe}.{nameof(MoeConfig.ExpertIntermediateSize)}"] = "moe_intermediate_size";
                names[$"{Moe}.{nameof(MoeConfig.SharedExpertIntermediateSize)}"] = "n_shared_experts * moe_intermediate_size";
                names[$"{Moe}.{nameof(MoeConfig.MoeLayers)}"] = "first_k_dense_replace / moe_layer_freq";
                break;
        }
        return new Model.ModelKeyNames(names) { JsonKeys = true };
    }

    private static string LayoutModelType(CheckpointLayout layout) => ModelTypes[layout switch
    {
        CheckpointLayout.Llama => 0,
        CheckpointLayout.Mixtral => 1,
        CheckpointLayout.DeepSeekMoe => 2,
        _ => 3,
    }];

    private static void CheckAttention(JsonObject o, ConfigJsonReader r, ModelConfig c)
    {
        if (c.HiddenSize % c.NumAttentionHeads == 0 && c.HeadDim % 2 != 0)
            throw r.Error("num_attention_heads", $"({c.NumAttentionHeads}) gives a head width hidden_size / num_attention_heads = {c.HeadDim}; rotary embeddings need an even head width");
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
        var m = section ?? new MoeConfig();
        return m with
        {
            NumExperts = r.RequiredInt(o, "num_local_experts"),
            TopK = r.RequiredInt(o, "num_experts_per_tok"),
            LoadBalanceWeight = r.Double(o, "router_aux_loss_coef", 0.001),
            ExpertIntermediateSize = null, // Mixtral's experts are intermediate_size wide
            SharedExpertIntermediateSize = null,
            MoeLayers = null,
        };
    }

    private static MoeConfig DeepSeek(JsonObject o, ConfigJsonReader r, MoeConfig? section, ModelConfig c)
    {
        var m = section ?? new MoeConfig();
        var scoring = r.String(o, "scoring_func", "softmax");
        if (scoring != "softmax") throw r.Error("scoring_func", $"is '{scoring}'; PluginMoE reads softmax gates only (\"softmax\")");
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
            ExpertIntermediateSize = width == c.IntermediateSize ? null : width,
            SharedExpertIntermediateSize = shared > 0 ? shared * width : m.SharedExpertIntermediateSize is 0 ? 0 : null,
            MoeLayers = layers.Length == c.NumHiddenLayers ? null : layers,
        };
    }
}
