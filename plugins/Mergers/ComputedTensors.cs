// A merge result whose tensors are computed when asked for: each name has its shape and type up front and a function
// that reads the (memory-mapped) inputs and combines them, so a checkpoint writer can stream the result tensor by
// tensor and never hold the merged model in memory. Nothing is cached: every access computes the tensor again.
using System.Diagnostics.CodeAnalysis;
using PluginMoE.Abstractions.Checkpoints;
using PluginMoE.Tensors;

namespace PluginMoE.Plugins.Mergers;

/// <summary>An <see cref="ILazyTensorMap"/> of computed tensors, in the order they were added.</summary>
/// <param name="source">What the tensors are (for messages), e.g. <c>btx merge of seed and 3 experts</c>.</param>
internal sealed class ComputedTensors(string source) : ILazyTensorMap
{
    private readonly OrderedDictionary<string, (long[] Shape, ScalarType DType, Func<Tensor> Compute)> _entries = new(StringComparer.Ordinal);

    /// <summary>Adds <paramref name="name"/>, computed by <paramref name="compute"/> as a tensor of that shape and type.</summary>
    public void Add(string name, long[] shape, ScalarType dtype, Func<Tensor> compute) => _entries[name] = (shape, dtype, compute);

    /// <summary>Adds a tensor that is already in memory.</summary>
    public void Add(string name, Tensor tensor) => Add(name, tensor.shape, tensor.dtype, () => tensor);

    /// <summary>Replaces the computation of <paramref name="name"/> by <paramref name="transform"/> of its current value (same shape and type).</summary>
    public void Transform(string name, Func<Tensor, Tensor> transform)
    {
        var (shape, dtype, compute) = _entries[name];
        _entries[name] = (shape, dtype, () => transform(compute()));
    }

    public string Source => source;

    public long[] ShapeOf(string name) => Entry(name).Shape;

    public ScalarType DTypeOf(string name) => Entry(name).DType;

    public Tensor this[string key] => Entry(key).Compute();

    public IEnumerable<string> Keys => _entries.Keys;

    public IEnumerable<Tensor> Values => Keys.Select(k => this[k]);

    public int Count => _entries.Count;

    public bool ContainsKey(string key) => _entries.ContainsKey(key);

    public bool TryGetValue(string key, [MaybeNullWhen(false)] out Tensor value)
    {
        if (_entries.TryGetValue(key, out var e)) { value = e.Compute(); return true; }
        value = null!;
        return false;
    }

    public IEnumerator<KeyValuePair<string, Tensor>> GetEnumerator() => Keys.Select(k => KeyValuePair.Create(k, this[k])).GetEnumerator();

    System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();

    private (long[] Shape, ScalarType DType, Func<Tensor> Compute) Entry(string name) =>
        _entries.TryGetValue(name, out var e) ? e : throw new KeyNotFoundException($"{source} has no tensor '{name}'");
}
