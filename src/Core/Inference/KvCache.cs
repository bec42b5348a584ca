// Key/value cache for incremental decoding: every layer's rotated keys and values of the positions seen so
// far, preallocated to the context length so that decoding one token appends in place instead of recomputing.
using PluginMoE.Abstractions.Checkpoints;
using PluginMoE.Tensors;
using static PluginMoE.Tensors.torch;

namespace PluginMoE.Core.Inference;

/// <summary>
/// The keys and values of the first <see cref="Length"/> positions of each layer, for
/// <see cref="Model.TransformerLM.forward(Tensor, KvCache)"/>. Keys are stored after the rotary embedding, so a
/// cached key never needs rotating again. One cache serves one model and one batch of sequences that all have the
/// same length; it holds no gradients.
/// </summary>
public sealed class KvCache
{
    private readonly Tensor[] _keys, _values; // per layer (B, Hkv, P, D), P = Capacity

    /// <summary>Allocates an empty cache for <paramref name="config"/>'s layers and key/value heads.</summary>
    /// <param name="config">The model's architecture.</param>
    /// <param name="batchSize">Number of sequences decoded together.</param>
    /// <param name="dtype">Element type of the model's parameters (float32, or float64 for exactness checks).</param>
    /// <param name="capacity">Positions to hold; null for <see cref="ModelConfig.MaxPositionEmbeddings"/> (its upper bound).</param>
    /// <exception cref="ArgumentOutOfRangeException">The batch size or capacity is out of range.</exception>
    public KvCache(ModelConfig config, int batchSize = 1, ScalarType dtype = ScalarType.Float32, int? capacity = null)
    {
        ArgumentNullException.ThrowIfNull(config);
        if (batchSize < 1)
            throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize, "KvCache: the batch size must be at least 1");
        int p = capacity ?? config.MaxPositionEmbeddings;
        if (p < 1 || p > config.MaxPositionEmbeddings)
            throw new ArgumentOutOfRangeException(nameof(capacity), p,
                $"KvCache: capacity must be between 1 and the model's MaxPositionEmbeddings ({config.MaxPositionEmbeddings}); rotary positions beyond it do not exist");
        BatchSize = batchSize;
        Capacity = p;
        _keys = new Tensor[config.NumHiddenLayers];
        _values = new Tensor[config.NumHiddenLayers];
        for (int i = 0; i < config.NumHiddenLayers; i++)
        {
            _keys[i] = zeros([batchSize, config.NumKeyValueHeads, p, config.HeadDim], dtype).DetachFromDisposeScope();   // (B, Hkv, P, D)
            _values[i] = zeros([batchSize, config.NumKeyValueHeads, p, config.HeadDim], dtype).DetachFromDisposeScope(); // (B, Hkv, P, D)
        }
    }

    /// <summary>Number of sequences in the batch.</summary>
    public int BatchSize { get; }

    /// <summary>Most positions the cache holds.</summary>
    public int Capacity { get; }

    /// <summary>Positions cached so far; also the absolute position of the next token.</summary>
    public int Length { get; private set; }

    /// <summary>Positions still free.</summary>
    public int Remaining => Capacity - Length;

    /// <summary>Number of layers.</summary>
    public int Layers => _keys.Length;

    /// <summary>Forgets every cached position (the storage is kept and overwritten).</summary>
    public void Reset() => Length = 0;

    /// <summary>
    /// Writes layer <paramref name="layer"/>'s keys and values of the T new tokens at positions
    /// <see cref="Length"/>.. and returns views of all keys and values up to and including them.
    /// <see cref="Length"/> moves only when <see cref="Advance"/> is called after the last layer.
    /// </summary>
    /// <param name="layer">Layer index.</param>
    /// <param name="k">(B, Hkv, T, D) rotated keys of the new tokens.</param>
    /// <param name="v">(B, Hkv, T, D) values of the new tokens.</param>
    /// <returns>Keys and values (B, Hkv, Length + T, D).</returns>
    internal (Tensor Keys, Tensor Values) Append(int layer, Tensor k, Tensor v)
    {
        var keys = _keys[layer];
        if (k.dim() != 4 || k.size(0) != keys.size(0) || k.size(1) != keys.size(1) || k.size(3) != keys.size(3) || !v.shape.SequenceEqual(k.shape))
            throw new ArgumentException(
                $"KvCache: layer {layer} keys [{string.Join(", ", k.shape)}] and values [{string.Join(", ", v.shape)}] do not fit the cache (B, Hkv, T, D) = " +
                $"({keys.size(0)}, {keys.size(1)}, T, {keys.size(3)})");
        long t = k.size(2), end = Length + t;
        if (end > Capacity)
            throw new InvalidOperationException(CapacityMessage(t));
        keys.narrow(2, Length, t).copy_(k);
        _values[layer].narrow(2, Length, t).copy_(v);
        return (keys.narrow(2, 0, end), _values[layer].narrow(2, 0, end)); // (B, Hkv, Length + T, D)
    }

    /// <summary>Records that <paramref name="tokens"/> new positions were appended to every layer.</summary>
    internal void Advance(int tokens) => Length += tokens;

    /// <summary>The error for appending <paramref name="tokens"/> positions that do not fit.</summary>
    internal string CapacityMessage(long tokens) =>
        $"KvCache: {tokens} new token(s) do not fit: {Length} of {Capacity} positions are used; " +
        "start a new cache (Reset) or keep fewer tokens of context";
}
