// Drop-Upcycling (Nakamura et al., arXiv 2502.19261): partial re-initialisation of one expert copy. A random
// set S of floor(r * d_ff) inner units is chosen per expert and layer; the rows of S in gate_proj/up_proj
// (and any inner-sized vector) and the columns of S in down_proj are redrawn from normal(mean(W), std(W)) of
// the original matrix W, so copies of one FFN can diverge while keeping the original's statistics.
using PluginMoE.Tensors;
using static PluginMoE.Tensors.torch;

namespace PluginMoE.Plugins.Mergers;

/// <summary>Partial re-initialisation of an FFN copy.</summary>
internal static class DropUpcycling
{
    /// <summary>The (d_ff) bool mask of the inner units to re-initialise: exactly floor(r * d_ff) of them.</summary>
    public static Tensor UnitMask(long inner, double fraction, Generator generator)
    {
        long count = (long)Math.Floor(fraction * inner);
        var chosen = randperm(inner, generator).narrow(0, 0, count);                 // (count)
        var mask = zeros([inner], ScalarType.Float32);
        return (count == 0 ? mask : mask.scatter(0, chosen, 1.0)).gt(0.5);      // (d_ff) bool
    }

    /// <summary>
    /// <paramref name="w"/> with its inner units in <paramref name="mask"/> redrawn: along dim 1 for <c>down_proj</c>
    /// (d, d_ff), along dim 0 otherwise ((d_ff, d) matrices and (d_ff) vectors). Tensors without an inner-sized
    /// dimension there are returned unchanged.
    /// </summary>
    public static Tensor Reinitialise(string relativeName, Tensor w, Tensor mask, Generator generator)
    {
        using var _ = no_grad();
        long inner = mask.size(0);
        int dim = relativeName.StartsWith("down_proj", StringComparison.Ordinal) ? 1 : 0;
        if (!w.dtype.IsFloatingPoint() || w.dim() <= dim || w.size(dim) != inner) return w;
        var w64 = w.to(ScalarType.Float64);
        double mean = w64.mean().ToDouble();
        double std = w.numel() > 1 ? w64.std([.. Enumerable.Range(0, w.dim()).Select(i => (long)i)]).ToDouble() : 0;
        var fresh = randn(w.shape, ScalarType.Float64, generator) * std + mean;
        var m = dim == 1 ? mask.unsqueeze(0) : w.dim() == 2 ? mask.unsqueeze(1) : mask;  // broadcast over the other dim
        return where(m, fresh, w64).to(w.dtype);
    }
}
