// Options of the sparse-upcycle merge strategy (Komatsuzaki et al., arXiv 2212.05055; Drop-Upcycling,
// Nakamura et al., arXiv 2502.19261).
using System.ComponentModel.DataAnnotations;

namespace PluginMoE.Plugins.Mergers;

/// <summary>Options of <c>sparse-upcycle</c>.</summary>
public sealed class SparseUpcycleOptions
{
    /// <summary>
    /// Drop-Upcycling ratio r: in every copy, a random r * intermediate_size of the FFN's inner units are re-initialised
    /// (rows of gate/up, columns of down) from a normal with the original matrix's mean and standard deviation;
    /// 0 (default) gives plain copies.
    /// </summary>
    [Range(0.0, 1.0)]
    public double DropFraction { get; set; }

    /// <summary>Seed of the random unit choice and re-initialisation (one counter-based Philox stream, a disjoint range per layer, expert and matrix: the same on any machine and in any order).</summary>
    [Range(0, long.MaxValue)]
    public long Seed { get; set; }
}
