// A checkpoint's tensors read on demand from a memory-mapped file: shapes and types come from the file's
// header, data are copied out only when a tensor is asked for, so merge strategies validate every input
// before reading any data and hold one input tensor at a time instead of every model.
using PluginMoE.Tensors;

namespace PluginMoE.Abstractions.Checkpoints;

/// <summary>
/// An optional form of <see cref="ModelCheckpoint.Tensors"/>: each indexer or enumeration access reads the
/// tensor from the file again (nothing is cached), while <see cref="ShapeOf"/> and <see cref="DTypeOf"/> read
/// only the header. Readers that want to stream test for this interface and fall back to the tensors' own
/// shapes otherwise.
/// </summary>
public interface ILazyTensorMap : IReadOnlyDictionary<string, Tensor>
{
    /// <summary>Where the tensors come from (the weights file), for messages.</summary>
    string Source { get; }

    /// <summary>The shape of tensor <paramref name="name"/> (canonical name), without reading its data.</summary>
    /// <exception cref="KeyNotFoundException">No such tensor.</exception>
    long[] ShapeOf(string name);

    /// <summary>The element type tensor <paramref name="name"/> loads as, without reading its data.</summary>
    /// <exception cref="KeyNotFoundException">No such tensor.</exception>
    ScalarType DTypeOf(string name);
}
