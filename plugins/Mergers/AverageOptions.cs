// Options of the average merge strategy (BTM-style parameter averaging, the dense-merge baseline of Nexus).
namespace PluginMoE.Plugins.Mergers;

/// <summary>Options of <c>average</c>.</summary>
public sealed class AverageOptions
{
    /// <summary>One non-negative weight per averaged model (experts in order, then the seed when <see cref="IncludeSeed"/>), normalised to sum to one; null for the plain average.</summary>
    public double[]? Weights { get; set; }

    /// <summary>Average the seed together with the experts (default: the experts only; the seed is the architecture reference).</summary>
    public bool IncludeSeed { get; set; }
}
