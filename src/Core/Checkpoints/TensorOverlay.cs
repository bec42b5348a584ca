// A checkpoint's tensors with a few more in memory on top: e.g. a merge result computed lazily from memory-mapped inputs
// plus freshly initialised router tensors. Reading goes to the extras first, then to the base map, so a lazy base stays
// lazy and a writer can still stream the whole set tensor by tensor.
using System.Diagnostics.CodeAnalysis;
using PluginMoE.Abstractions.Checkpoints;
using PluginMoE.Tensors;

namespace PluginMoE.Core.Checkpoints;

/// <summary>An <see cref="ILazyTensorMap"/> of <paramref name="extras"/> (in memory) over <paramref name="baseMap"/> (lazy or not).</summary>
/// <param name="baseMap">The underlying tensors; an <see cref="ILazyTensorMap"/> keeps its shapes and types readable without data.</param>
/// <param name="extras">Tensors added or replacing base ones, by canonical name.</param>
public sealed class TensorOverlay(IReadOnlyDictionary<string, Tensor> baseMap, IReadOnlyDictionary<string, Tensor> extras) : ILazyTensorMap
{
    /// <inheritdoc/>
    public string Source => baseMap is ILazyTensorMap lazy ? lazy.Source : "tensors in memory";

    /// <inheritdoc/>
    public long[] ShapeOf(string name) =>
        extras.TryGetValue(name, out var t) ? t.shape
        : baseMap is ILazyTensorMap lazy ? lazy.ShapeOf(name)
        : baseMap.TryGetValue(name, out var b) ? b.shape : throw Missing(name);

    /// <inheritdoc/>
    public ScalarType DTypeOf(string name) =>
        extras.TryGetValue(name, out var t) ? t.dtype
        : baseMap is ILazyTensorMap lazy ? lazy.DTypeOf(name)
        : baseMap.TryGetValue(name, out var b) ? b.dtype : throw Missing(name);

    /// <inheritdoc/>
    public Tensor this[string key] => TryGetValue(key, out var t) ? t : throw Missing(key);

    /// <inheritdoc/>
    public IEnumerable<string> Keys => baseMap.Keys.Where(k => !extras.ContainsKey(k)).Concat(extras.Keys);

    /// <inheritdoc/>
    public IEnumerable<Tensor> Values => Keys.Select(k => this[k]);

    /// <inheritdoc/>
    public int Count => Keys.Count();

    /// <inheritdoc/>
    public bool ContainsKey(string key) => extras.ContainsKey(key) || baseMap.ContainsKey(key);

    /// <inheritdoc/>
    public bool TryGetValue(string key, [MaybeNullWhen(false)] out Tensor value) =>
        extras.TryGetValue(key, out value) || baseMap.TryGetValue(key, out value);

    /// <inheritdoc/>
    public IEnumerator<KeyValuePair<string, Tensor>> GetEnumerator() => Keys.Select(k => KeyValuePair.Create(k, this[k])).GetEnumerator();

    System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();

    private KeyNotFoundException Missing(string name) => new($"{Source} has no tensor '{name}'");
}
