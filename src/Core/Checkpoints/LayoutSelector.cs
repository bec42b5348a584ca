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
    public static CheckpointLayout Choose(ModelConfig config, IEnumerable<string> canonicalNames, CheckpointLayout requested, HuggingFaceForm? form)
    {
        if (requested == CheckpointLayout.PluginMoE) return requested;
        var names = canonicalNames.ToList();
        if (requested != CheckpointLayout.Auto)
        {
            var why = WhyNot(config, names, requested, form);
            if (why.Count == 0) return requested;
            throw new ArgumentException(
                $"cannot save this model in the {requested} layout: {string.Join("; ", why)}. " +
                "Use CheckpointLayout.PluginMoE (or Auto), which stores what Hugging Face layouts lack.", nameof(requested));
        }
        foreach (var layout in (CheckpointLayout[])[CheckpointLayout.Llama, CheckpointLayout.Mixtral, CheckpointLayout.DeepSeekMoe])
            if (WhyNot(config, names, layout, form).Count == 0) return layout;
        return CheckpointLayout.PluginMoE;
    }

    /// <summary>Reasons why <paramref name="layout"/> cannot express the model (empty when it can), from its Hugging Face form.</summary>
    public static List<string> WhyNot(ModelConfig c, IReadOnlyCollection<string> names, CheckpointLayout layout, HuggingFaceForm? form)
    {
        var why = new List<string>();
        if (form is null)
        {
            why.Add("the checkpoint does not say how its components map to Hugging Face modules (save it from a model: TransformerLM.ToCheckpoint)");
            return why;
        }
        if (form.HiddenAct is null) why.Add(form.FfnObstacle ?? "its FFNs are not Hugging Face Llama MLPs");
        else if (c.Moe?.ExpertGroups is { } groups)
            why.Add($"its MoE blocks mix expert kinds ({Model.TransformerLM.Groups(groups)}), and Hugging Face layouts have one kind of expert");
        var schema = TensorSchema.For(c, layout, form);
        var extra = names.Where(n => !schema.Exact.ContainsKey(n)).Order(StringComparer.Ordinal).ToList();
        if (extra.Count > 0) why.Add($"it has tensors that layout has no name for: {string.Join(", ", extra)}");

        var moe = c.Moe;
        if (layout == CheckpointLayout.Llama)
        {
            if (moe is not null) why.Add("it has MoE blocks and the Llama layout is dense (use Mixtral or DeepSeekMoe)");
            return why;
        }
        if (moe is null) { why.Add($"it is dense and the {layout} layout describes MoE models (use Llama)"); return why; }
        if (form.RenormalizeTopK is null) why.Add(form.RouterObstacle ?? "its routers are not Hugging Face linear gates");
        bool renormalize = form.RenormalizeTopK ?? true;
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
