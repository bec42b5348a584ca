// The decoder stack under the `model.` prefix (HF LlamaModel): token embedding, blocks, final RMSNorm.
using PluginMoE.Abstractions.Routing;
using PluginMoE.Core.Composition;
using PluginMoE.Core.Inference;
using PluginMoE.Tensors;
using static PluginMoE.Tensors.torch;

namespace PluginMoE.Core.Model;

/// <summary>Embedding, N decoder layers and the final norm; the rotary tables are shared by every layer.</summary>
internal sealed class TransformerBody : nn.Module
{
    private readonly nn.Embedding _embed_tokens;
    private readonly nn.ModuleList<DecoderLayer> _layers;
    private readonly nn.RMSNorm _norm;
    private readonly Tensor _cos, _sin; // (P, D/2) rotary cache, not state (HF keeps inv_freq non-persistent too)

    public TransformerBody(ModelPlan plan, IComponentCatalog catalog, Generator generator, ScalarType dtype, Tensor? domainEmbeddings)
    {
        var config = plan.Config;
        _embed_tokens = Init.Embedding(config.VocabSize, config.HiddenSize, generator, dtype);
        _layers = new nn.ModuleList<DecoderLayer>();
        for (int i = 0; i < config.NumHiddenLayers; i++)
            _layers.Add(new DecoderLayer(plan, i, catalog, generator, dtype, domainEmbeddings));
        _norm = new nn.RMSNorm(config.HiddenSize, config.RmsNormEps, dtype: dtype);
        (_cos, _sin) = nn.functional.rope_cache(config.HeadDim, config.MaxPositionEmbeddings, config.RopeTheta, dtype);
        RegisterComponents(); // embed_tokens, layers, norm
    }

    /// <summary>The token embedding matrix (V, C) (shared with the LM head when tied).</summary>
    public nn.Parameter EmbeddingWeight => _embed_tokens.weight;

    /// <summary>The decoder layers.</summary>
    public IReadOnlyList<DecoderLayer> Layers => _layers;

    /// <summary>
    /// ids (B, T) -> final hidden states (B, T, C), plus each MoE layer's output. With a cache the tokens continue the
    /// cached positions (the caller advances the cache). When <paramref name="hidden"/> is given it receives L + 1
    /// states (B, T, C): the token embeddings, then the output of each block (HF <c>output_hidden_states</c>, except
    /// that the last entry is before the final norm; the returned state is after it).
    /// </summary>
    public (Tensor Hidden, List<(int Layer, Moe.MoeOutput Output)> Moe) forward(Tensor ids, RoutingContext routing, KvCache? cache, List<Tensor>? hidden = null)
    {
        var x = _embed_tokens.forward(ids); // (B, T, C)
        hidden?.Add(x);
        var moe = new List<(int, Moe.MoeOutput)>();
        for (int i = 0; i < _layers.Count; i++)
        {
            (x, var m) = _layers[i].forward(x, _cos, _sin, routing, cache, i);
            hidden?.Add(x);
            if (m is not null) moe.Add((i, m));
        }
        return (_norm.forward(x), moe); // (B, T, C)
    }
}
