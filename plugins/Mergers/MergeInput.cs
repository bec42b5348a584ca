// One input of a merge as messages name it ("seed", "expert 'code'") with its weights file, and the shape
// and type of its tensors read from the file header when the checkpoint is memory-mapped.
using PluginMoE.Abstractions.Checkpoints;
using PluginMoE.Tensors;

namespace PluginMoE.Plugins.Mergers;

/// <summary>A checkpoint with the name error messages give it.</summary>
/// <param name="Role">How messages name it: <c>seed</c>, <c>expert 'code'</c>, <c>MoE</c>, <c>new expert 'law'</c>.</param>
/// <param name="Checkpoint">The checkpoint.</param>
internal sealed record MergeInput(string Role, ModelCheckpoint Checkpoint)
{
    /// <summary>The role with the weights file when known: <c>expert 'code' (/x/model.safetensors)</c>.</summary>
    public string Display => Checkpoint.Tensors is ILazyTensorMap m and not ComputedTensors ? $"{Role} ({m.Source})" : Role;

    /// <summary>The config.</summary>
    public ModelConfig Config => Checkpoint.Config;

    /// <summary>Tensor names.</summary>
    public IEnumerable<string> Names => Checkpoint.Tensors.Keys;

    /// <summary>True when the checkpoint has tensor <paramref name="name"/>.</summary>
    public bool Has(string name) => Checkpoint.Tensors.ContainsKey(name);

    /// <summary>The shape of a tensor, from the file header when the checkpoint is mapped.</summary>
    public long[] ShapeOf(string name) => Checkpoint.Tensors is ILazyTensorMap m ? m.ShapeOf(name) : Checkpoint.Tensors[name].shape;

    /// <summary>The element type of a tensor, from the file header when the checkpoint is mapped.</summary>
    public ScalarType DTypeOf(string name) => Checkpoint.Tensors is ILazyTensorMap m ? m.DTypeOf(name) : Checkpoint.Tensors[name].dtype;

    /// <summary>Reads one tensor (a copy out of the mapped file, or the tensor itself).</summary>
    public Tensor Read(string name) => Checkpoint.Tensors[name];

    /// <summary>(2, 3) style shape text.</summary>
    public static string Format(long[] shape) => $"({string.Join(", ", shape)})";
}
