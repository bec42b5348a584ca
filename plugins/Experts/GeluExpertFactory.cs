// The gelu expert plugin's factory.
using PluginMoE.Abstractions.Composition;
using PluginMoE.Abstractions.Experts;

namespace PluginMoE.Plugins.Experts;

/// <summary>Creates <see cref="GeluExpert"/>s at inner width <c>round(HiddenDim * WidthMultiplier)</c>.</summary>
[ExportExpert("gelu", Description = "GELU MLP: down(gelu(up x)), no biases; exact or tanh approximation; width multiplier")]
public sealed class GeluExpertFactory : IExpertFactory
{
    /// <inheritdoc/>
    public Type? OptionsType => typeof(GeluOptions);

    /// <inheritdoc/>
    public ExpertModule Create(ExpertSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var o = spec.OptionsAs<GeluOptions>();
        return new GeluExpert(spec with { HiddenDim = ExpertInit.Width(spec, o.WidthMultiplier, "gelu") }, o.Approximate, o.InitStd);
    }

    /// <inheritdoc/>
    public IReadOnlyList<(string Name, long[] Shape)> ParameterLayout(ExpertSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        int hidden = ExpertInit.Width(spec, spec.OptionsAs<GeluOptions>().WidthMultiplier, "gelu");
        return
        [
            ("up_proj.weight", [hidden, spec.ModelDim]),
            ("down_proj.weight", [spec.ModelDim, hidden]),
        ];
    }
}
