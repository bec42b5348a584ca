// Options of the swiglu expert plugin.
using System.ComponentModel.DataAnnotations;

namespace PluginMoE.Plugins.Experts;

/// <summary>Options of the <c>swiglu</c> expert.</summary>
public sealed class SwiGluOptions
{
    /// <summary>Standard deviation of the normal init of every projection (HF Llama's initializer_range).</summary>
    [Range(0.0, 10.0)]
    public double InitStd { get; set; } = 0.02;

    /// <summary>Inner width = round(HiddenDim * WidthMultiplier) (e.g. 0.5 for half-width experts).</summary>
    [Range(0.001, 64.0)]
    public double WidthMultiplier { get; set; } = 1.0;
}
