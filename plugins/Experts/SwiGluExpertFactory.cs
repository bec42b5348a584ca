// The swiglu expert plugin's factory (the default FFN of Llama-style models).
using PluginMoE.Abstractions.Composition;
using PluginMoE.Abstractions.Experts;

namespace PluginMoE.Plugins.Experts;

/// <summary>Creates <see cref="SwiGluExpert"/>s at inner width <c>round(HiddenDim * WidthMultiplier)</c>.</summary>
[ExportExpert("swiglu", Description = "Llama SwiGLU FFN: down(silu(gate x) * up x), no biases; width multiplier")]
public sealed class SwiGluExpertFactory : IExpertFactory
{
    /// <inheritdoc/>
    public Type? OptionsType => typeof(SwiGluOptions);

    /// <inheritdoc/>
    public ExpertModule Create(ExpertSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var o = spec.OptionsAs<SwiGluOptions>();
        return new SwiGluExpert(spec with { HiddenDim = ExpertInit.Width(spec, o.WidthMultiplier, "swiglu") }, o.InitStd);
    }

    /// <inheritdoc/>
    public IReadOnlyList<(string Name, long[] Shape)> ParameterLayout(ExpertSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        int hidden = ExpertInit.Width(spec, spec.OptionsAs<SwiGluOptions>().WidthMultiplier, "swiglu");
        return
        [
            ("gate_proj.weight", [hidden, spec.ModelDim]),
            ("up_proj.weight", [hidden, spec.ModelDim]),
            ("down_proj.weight", [spec.ModelDim, hidden]),
        ];
    }
}
