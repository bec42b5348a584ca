// Joining tensors: cat along an existing dimension and stack along a new one. The backward rule hands
// each input its slice of the gradient.
namespace PluginMoE.Tensors;

public static partial class torch
{
    /// <summary>
    /// Concatenates <paramref name="tensors"/> along <paramref name="dim"/>. All must have the same dtype and rank and
    /// equal sizes outside <paramref name="dim"/> (1-D empty tensors are skipped, as in PyTorch).
    /// </summary>
    /// <param name="tensors">The tensors to join (at least one).</param>
    /// <param name="dim">The dimension to join along (negative counts from the end).</param>
    /// <exception cref="ArgumentException">The list is empty, or dtypes, ranks or sizes do not match.</exception>
    public static Tensor cat(Tensor[] tensors, long dim = 0)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        if (tensors.Length == 0) throw new ArgumentException("cat: expected a non-empty list of tensors", nameof(tensors));
        for (int i = 0; i < tensors.Length; i++)
            if (tensors[i] is null) throw new ArgumentNullException(nameof(tensors), $"cat: tensor {i} is null");
        // PyTorch skips legacy empty 1-D tensors of shape [0] when joining tensors of other shapes.
        var parts = tensors.Where(t => !(t.Sizes.Length == 1 && t.Sizes[0] == 0)).ToArray();
        if (parts.Length == 0) parts = [tensors[0]];
        var first = parts[0];
        int firstAt = Array.IndexOf(tensors, first);
        if (first.Sizes.Length == 0) throw new ArgumentException("cat: zero-dimensional tensors cannot be concatenated; use stack() or unsqueeze them first");
        int d = Shape.WrapDim(dim, first.Sizes.Length, "cat");
        for (int i = 0; i < tensors.Length; i++)
        {
            var t = tensors[i];
            if (t.dtype != first.dtype)
                throw new ArgumentException($"cat: expected all tensors to have the same dtype, but tensor {firstAt} is {first.dtype.TorchName()} and tensor {i} is {t.dtype.TorchName()}; convert with to() first");
            if (!parts.Contains(t)) continue;
            if (t.Sizes.Length != first.Sizes.Length)
                throw new ArgumentException($"cat: tensors must have the same number of dimensions, but tensor {firstAt} has shape {Shape.Format(first.Sizes)} and tensor {i} has shape {Shape.Format(t.Sizes)}");
            for (int k = 0; k < t.Sizes.Length; k++)
                if (k != d && t.Sizes[k] != first.Sizes[k])
                    throw new ArgumentException($"cat: sizes must match except in dimension {d}, but tensor {firstAt} has shape {Shape.Format(first.Sizes)} and tensor {i} has shape {Shape.Format(t.Sizes)} (dimension {k})");
        }
        var r = first.backend.Cat(parts, d);
        var lengths = parts.Select(t => t.Sizes[d]).ToArray();
        return Tensor.Record(r, "CatBackward", parts, g =>
        {
            var grads = new Tensor?[lengths.Length];
            int at = 0;
            for (int i = 0; i < lengths.Length; i++)
            {
                grads[i] = g.narrow(d, at, lengths[i]);
                at += lengths[i];
            }
            return grads;
        }, saved: []);
    }

    /// <summary>Alias of <see cref="cat"/>.</summary>
    public static Tensor concat(Tensor[] tensors, long dim = 0) => cat(tensors, dim);

    /// <summary>
    /// Joins equally shaped <paramref name="tensors"/> along a new dimension <paramref name="dim"/> (in [-(rank+1), rank]).
    /// </summary>
    /// <param name="tensors">The tensors to join (at least one, same shape and dtype).</param>
    /// <param name="dim">Position of the new dimension.</param>
    /// <exception cref="ArgumentException">The list is empty, or shapes or dtypes differ.</exception>
    public static Tensor stack(Tensor[] tensors, long dim = 0)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        if (tensors.Length == 0) throw new ArgumentException("stack: expected a non-empty list of tensors", nameof(tensors));
        for (int i = 0; i < tensors.Length; i++)
        {
            if (tensors[i] is null) throw new ArgumentNullException(nameof(tensors), $"stack: tensor {i} is null");
            if (!Shape.Equal(tensors[i].Sizes, tensors[0].Sizes))
                throw new ArgumentException($"stack: expects each tensor to be equal size, but got {Shape.Format(tensors[0].Sizes)} at entry 0 and {Shape.Format(tensors[i].Sizes)} at entry {i}");
        }
        int rank = tensors[0].Sizes.Length;
        if (dim < -(rank + 1) || dim > rank)
            throw new ArgumentOutOfRangeException(nameof(dim), dim, $"stack: dimension {dim} is out of range for stacking tensors of rank {rank} (expected [{-(rank + 1)}, {rank}])");
        long nd = dim < 0 ? dim + rank + 1 : dim;
        return cat(tensors.Select(t => t.unsqueeze(nd)).ToArray(), nd);
    }
}
