// Options of the gelu expert plugin.
using System.ComponentModel.DataAnnotations;

namespace PluginMoE.Plugins.Experts;

/// <summary>Options of the <c>gelu</c> expert.</summary>
public sealed class GeluOptions
{
    /// <summary>GELU form: <c>none</c> (exact, erf) or <c>tanh</c> (the GPT-2 approximation).</summary>
    [AllowedValues("none", "tanh")]
    public string Approximate { get; set; } = "none";

    /// <summary>Standard deviation of the normal init of both projections.</summary>
    [Range(0.0, 10.0)]
    public double InitStd { get; set; } = 0.02;

    /// <summary>Inner width = round(HiddenDim * WidthMultiplier) (e.g. 0.5 for half-width experts).</summary>
    [Range(0.001, 64.0)]
    public double WidthMultiplier { get; set; } = 1.0;
}
