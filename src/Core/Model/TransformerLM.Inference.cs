// The incremental (KV-cache) forward pass used for generation: new tokens continue the cached positions, so
// each decoded token costs one position's work instead of a pass over the whole context.
using PluginMoE.Core.Inference;
using PluginMoE.Tensors;
using static PluginMoE.Tensors.torch;

namespace PluginMoE.Core.Model;

public sealed partial class TransformerLM
{
    /// <summary>An empty <see cref="KvCache"/> shaped for this model (its dtype, layers and key/value heads).</summary>
    /// <param name="batchSize">Sequences decoded together.</param>
    /// <param name="capacity">Positions to hold; null for <see cref="Abstractions.Checkpoints.ModelConfig.MaxPositionEmbeddings"/>.</param>
    public KvCache CreateKvCache(int batchSize = 1, int? capacity = null) =>
        new(Config, batchSize, EmbeddingWeight.dtype, capacity);

    /// <summary>
    /// Next-token logits for <paramref name="ids"/> (B, T) placed at positions <c>cache.Length .. cache.Length + T - 1</c>
    /// after the tokens already in <paramref name="cache"/>: feed the prompt once (a prefill), then one token at a time.
    /// Every layer appends the new keys and values to the cache and attends over all cached positions (causally
    /// among the new ones), so the logits equal those of <see cref="forward(Tensor)"/> on the whole sequence.
    /// MoE blocks route each new token as usual. Runs without recording gradients.
    /// </summary>
    /// <param name="ids">(B, T) integer token ids, B = <see cref="KvCache.BatchSize"/>, T at least 1.</param>
    /// <param name="cache">The cache of this model; advanced by T on success.</param>
    /// <returns>Logits (B, T, V) of the new positions, with the MoE losses and routing of the new tokens.</returns>
    /// <exception cref="ArgumentException">The ids or the cache do not fit the model.</exception>
    /// <exception cref="InvalidOperationException">The T tokens do not fit in the cache's remaining positions.</exception>
    public ModelOutput forward(Tensor ids, KvCache cache)
    {
        ArgumentNullException.ThrowIfNull(ids);
        ArgumentNullException.ThrowIfNull(cache);
        CheckIds(ids);
        if (cache.Layers != Config.NumHiddenLayers)
            throw new ArgumentException($"TransformerLM: the cache has {cache.Layers} layers but the model has {Config.NumHiddenLayers}; create it with CreateKvCache", nameof(cache));
        if (ids.size(0) != cache.BatchSize)
            throw new ArgumentException($"TransformerLM: ids hold {ids.size(0)} sequences but the cache was made for a batch of {cache.BatchSize}", nameof(ids));
        long t = ids.size(1);
        if (t < 1)
            throw new ArgumentException("TransformerLM: ids must hold at least one new token per sequence", nameof(ids));
        if (t > cache.Remaining)
            throw new InvalidOperationException(cache.CapacityMessage(t));

        using (no_grad())
        {
            var (h, moe) = _model.forward(ids.to(int64), Abstractions.Routing.RoutingContext.Evaluation with { Training = training }, cache); // (B, T, C)
            cache.Advance((int)t);
            return Head(h, moe);
        }
    }
}
