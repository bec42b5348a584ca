// The swiglu expert plugin's factory (the default FFN of Llama-style models).
using PluginMoE.Abstractions.Composition;
using PluginMoE.Abstractions.Experts;

namespace PluginMoE.Plugins.Experts;

/// <summary>Creates <see cref="SwiGluExpert"/>s.</summary>
[ExportExpert("swiglu", Description = "Llama SwiGLU FFN: down(silu(gate x) * up x), no biases")]
public sealed class SwiGluExpertFactory : IExpertFactory
{
    /// <inheritdoc/>
    public Type? OptionsType => typeof(SwiGluOptions);

    /// <inheritdoc/>
    public IExpert Create(ExpertSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        return new SwiGluExpert(spec, OptionsOf(spec).InitStd);
    }

    /// <inheritdoc/>
    public IReadOnlyList<(string Name, long[] Shape)> ParameterLayout(ExpertSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        return
        [
            ("gate_proj.weight", [spec.HiddenDim, spec.ModelDim]),
            ("up_proj.weight", [spec.HiddenDim, spec.ModelDim]),
            ("down_proj.weight", [spec.ModelDim, spec.HiddenDim]),
        ];
    }

    private static SwiGluOptions OptionsOf(ExpertSpec spec) => spec.Options switch
    {
        null => new SwiGluOptions(),
        SwiGluOptions o => o,
        var o => throw new ArgumentException($"expert 'swiglu': options are {o.GetType().Name}, expected {nameof(SwiGluOptions)}", nameof(spec)),
    };
}
