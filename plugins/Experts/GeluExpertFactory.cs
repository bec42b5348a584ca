// The gelu expert plugin's factory.
using PluginMoE.Abstractions.Composition;
using PluginMoE.Abstractions.Experts;

namespace PluginMoE.Plugins.Experts;

/// <summary>Creates <see cref="GeluExpert"/>s.</summary>
[ExportExpert("gelu", Description = "GELU MLP: down(gelu(up x)), no biases; exact or tanh approximation")]
public sealed class GeluExpertFactory : IExpertFactory
{
    /// <inheritdoc/>
    public Type? OptionsType => typeof(GeluOptions);

    /// <inheritdoc/>
    public IExpert Create(ExpertSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var o = spec.Options switch
        {
            null => new GeluOptions(),
            GeluOptions g => g,
            var other => throw new ArgumentException($"expert 'gelu': options are {other.GetType().Name}, expected {nameof(GeluOptions)}", nameof(spec)),
        };
        return new GeluExpert(spec, o.Approximate, o.InitStd);
    }

    /// <inheritdoc/>
    public IReadOnlyList<(string Name, long[] Shape)> ParameterLayout(ExpertSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        return
        [
            ("up_proj.weight", [spec.HiddenDim, spec.ModelDim]),
            ("down_proj.weight", [spec.ModelDim, spec.HiddenDim]),
        ];
    }
}
