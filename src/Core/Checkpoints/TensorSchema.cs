// The tensors a ModelConfig implies, by canonical name with their shapes: what loading and saving check
// a checkpoint against. Parts whose parameters only their plugin knows are accepted under a prefix.
using PluginMoE.Abstractions.Checkpoints;

namespace PluginMoE.Core.Checkpoints;

/// <summary>Expected canonical tensors of a model configuration.</summary>
/// <param name="Exact">Names whose shape the config fixes.</param>
/// <param name="OpenPrefixes">Prefixes under which any name and shape is accepted (routers and FFNs without a Hugging Face
/// form, <c>pluginmoe.*</c> extras); the model checks those when it is built.</param>
internal sealed record TensorSchema(IReadOnlyDictionary<string, long[]> Exact, IReadOnlyList<string> OpenPrefixes)
{
    /// <summary>Prefix of tensors that no Hugging Face layout has (e.g. <see cref="CanonicalNames.DomainEmbeddings"/>).</summary>
    public const string ExtraPrefix = "pluginmoe.";

    /// <summary>True when <paramref name="name"/> is expected (exactly or under an open prefix).</summary>
    public bool Accepts(string name) => Exact.ContainsKey(name) || OpenPrefixes.Any(name.StartsWith);

    /// <summary>The schema of <paramref name="c"/> in <paramref name="layout"/>. FFNs are Llama MLPs and routers hold
    /// <c>gate.weight</c> (n, d) when <paramref name="form"/> says so; otherwise their tensors are open under their prefix.
    /// The PluginMoE layout also accepts extra router tensors (e.g. a bias) under each MoE block's <c>gate.</c> prefix.</summary>
    public static TensorSchema For(ModelConfig c, CheckpointLayout layout, HuggingFaceForm? form)
    {
        long d = c.HiddenSize, hd = c.HeadDim;
        var exact = new Dictionary<string, long[]>(StringComparer.Ordinal);
        var open = new List<string> { ExtraPrefix };
        exact["model.embed_tokens.weight"] = [c.VocabSize, d];
        for (int i = 0; i < c.NumHiddenLayers; i++)
        {
            var l = CanonicalNames.Layer(i);
            exact[l + "input_layernorm.weight"] = [d];
            exact[l + "self_attn.q_proj.weight"] = [c.NumAttentionHeads * hd, d];
            exact[l + "self_attn.k_proj.weight"] = [c.NumKeyValueHeads * hd, d];
            exact[l + "self_attn.v_proj.weight"] = [c.NumKeyValueHeads * hd, d];
            exact[l + "self_attn.o_proj.weight"] = [d, c.NumAttentionHeads * hd];
            exact[l + "post_attention_layernorm.weight"] = [d];
            if (c.Moe is not { } moe || !moe.IsMoeLayer(i))
            {
                Ffn(form, c, CanonicalNames.Mlp(i), c.IntermediateSize, exact, open);
                continue;
            }
            if (form?.RenormalizeTopK is not null)
                exact[CanonicalNames.Router(i) + "weight"] = [moe.NumExperts, d];
            if (form?.RenormalizeTopK is null || layout == CheckpointLayout.PluginMoE)
                open.Add(CanonicalNames.Router(i));
            // A router that is not a Hugging Face gate may split tokens (multi-head routing: experts of width d/h), which only the built
            // model knows: its experts are open here and checked by the model when it loads them.
            for (int j = 0; j < moe.NumExperts; j++)
                if (form?.RenormalizeTopK is not null) Ffn(form, c, CanonicalNames.Expert(i, j), c.ExpertIntermediateSize, exact, open);
                else open.Add(CanonicalNames.Expert(i, j));
            if (moe.SharedExpertIntermediateSize is > 0 and var shared)
                Ffn(form, c, CanonicalNames.SharedExpert(i), shared, exact, open);
        }
        exact["model.norm.weight"] = [d];
        if (!c.TieWordEmbeddings) exact["lm_head.weight"] = [c.VocabSize, d];
        return new TensorSchema(exact, open);
    }

    /// <summary>A Llama MLP's three matrices; FFNs without a Hugging Face form are open under their prefix.</summary>
    private static void Ffn(HuggingFaceForm? form, ModelConfig c, string prefix, long inner, Dictionary<string, long[]> exact, List<string> open)
    {
        if (form?.HiddenAct is null) { open.Add(prefix); return; }
        exact[prefix + "gate_proj.weight"] = [inner, c.HiddenSize];
        exact[prefix + "up_proj.weight"] = [inner, c.HiddenSize];
        exact[prefix + "down_proj.weight"] = [c.HiddenSize, inner];
    }
}
