// Which file layout expresses a model exactly: Auto's choice, and why an explicitly requested Hugging
// Face layout cannot hold a given model.
using PluginMoE.Abstractions.Checkpoints;

namespace PluginMoE.Core.Checkpoints;

/// <summary>Chooses and checks checkpoint layouts.</summary>
internal static class LayoutSelector
{
    /// <summary>
    /// <paramref name="requested"/> when it expresses the checkpoint exactly; for Auto the first of Llama,
    /// Mixtral, DeepSeek-MoE that does, else PluginMoE.
    /// </summary>
    /// <exception cref="ArgumentException">A Hugging Face layout was requested that cannot hold the model; the message says why.</exception>
    public static CheckpointLayout Choose(ModelConfig config, IEnumerable<string> canonicalNames, CheckpointLayout requested)
    {
        if (requested == CheckpointLayout.PluginMoE) return requested;
        var names = canonicalNames.ToList();
        if (requested != CheckpointLayout.Auto)
        {
            var why = WhyNot(config, names, requested);
            if (why.Count == 0) return requested;
            throw new ArgumentException(
                $"cannot save this model in the {requested} layout: {string.Join("; ", why)}. " +
                "Use CheckpointLayout.PluginMoE (or Auto), which stores what Hugging Face layouts lack.", nameof(requested));
        }
        foreach (var layout in (CheckpointLayout[])[CheckpointLayout.Llama, CheckpointLayout.Mixtral, CheckpointLayout.DeepSeekMoe])
            if (WhyNot(config, names, layout).Count == 0) return layout;
        return CheckpointLayout.PluginMoE;
    }

    /// <summary>Reasons why <paramref name="layout"/> cannot express the model (empty when it can).</summary>
    public static List<string> WhyNot(ModelConfig c, IReadOnlyCollection<string> names, CheckpointLayout layout)
    {
        var why = new List<string>();
        if (c.ExpertType != "swiglu")
            why.Add($"its FFNs are '{c.ExpertType}' experts, Hugging Face Llama-family MLPs are SwiGLU ('swiglu')");
        else if (c.ExpertOptions is { Count: > 0 })
            why.Add($"the expert options {c.ExpertOptions.ToJsonString()} have no Hugging Face equivalent");
        var schema = TensorSchema.For(c);
        var extra = names.Where(n => !schema.Exact.ContainsKey(n)).Order(StringComparer.Ordinal).ToList();
        if (extra.Count > 0) why.Add($"it has tensors that layout has no name for: {string.Join(", ", extra)}");

        var moe = c.Moe;
        if (layout == CheckpointLayout.Llama)
        {
            if (moe is not null) why.Add("it has MoE blocks and the Llama layout is dense (use Mixtral or DeepSeekMoe)");
            return why;
        }
        if (moe is null) { why.Add($"it is dense and the {layout} layout describes MoE models (use Llama)"); return why; }
        if (moe.Router != LinearRouterConvention.Name)
            why.Add($"its router is '{moe.Router}', the {layout} layout expresses only the 'linear' router");
        else if (!LinearRouterConvention.OnlyInferenceNeutral(moe.RouterOptions))
            why.Add($"the router options {moe.RouterOptions!.ToJsonString()} have no Hugging Face equivalent");
        bool renormalize = LinearRouterConvention.Renormalizes(moe.RouterOptions);
        if (layout == CheckpointLayout.Mixtral)
        {
            if (!renormalize) why.Add("its router does not renormalise the top-k weights, Mixtral's does (DeepSeekMoe expresses this)");
            if (moe.SharedExpertIntermediateSize is > 0) why.Add("it has a shared expert, Mixtral has none (DeepSeekMoe expresses this)");
            if (Enumerable.Range(0, c.NumHiddenLayers).Any(i => !moe.IsMoeLayer(i))) why.Add("some layers are dense, Mixtral's are all MoE (DeepSeekMoe expresses first_k_dense_replace/moe_layer_freq)");
        }
        else if (layout == CheckpointLayout.DeepSeekMoe)
        {
            if (moe.SharedExpertIntermediateSize is > 0 and var s && s % c.ExpertIntermediateSize != 0)
                why.Add($"the shared expert's width {s} is not a multiple of the routed experts' width {c.ExpertIntermediateSize} (DeepSeek-MoE's is n_shared_experts * moe_intermediate_size)");
            if (DenseLayerPattern(c) is null)
                why.Add($"its MoE layers [{string.Join(", ", moe.MoeLayers ?? [])}] are not 'every moe_layer_freq-th layer from first_k_dense_replace on'");
        }
        return why;
    }

    /// <summary>DeepSeek-MoE's (first_k_dense_replace, moe_layer_freq) for the model's MoE layers, or null when none fits.</summary>
    public static (int FirstKDense, int Freq)? DenseLayerPattern(ModelConfig c)
    {
        if (c.Moe is not { } moe) return null;
        int n = c.NumHiddenLayers;
        var isMoe = Enumerable.Range(0, n).Select(moe.IsMoeLayer).ToArray();
        for (int f = 1; f <= Math.Max(1, n); f++)
            for (int k = 0; k < n; k++)
                if (Enumerable.Range(0, n).All(i => isMoe[i] == IsDeepSeekMoeLayer(i, k, f))) return (k, f);
        return null;
    }

    /// <summary>DeepSeek-MoE's rule: layer i is MoE when i &gt;= first_k_dense_replace and i % moe_layer_freq == 0.</summary>
    public static bool IsDeepSeekMoeLayer(int layer, int firstKDense, int freq) => layer >= firstKDense && layer % freq == 0;
}
