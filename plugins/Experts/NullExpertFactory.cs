// The null expert plugin's factory (MoE++ / AdaMoE zero-computation expert).
using PluginMoE.Abstractions.Composition;
using PluginMoE.Abstractions.Experts;

namespace PluginMoE.Plugins.Experts;

/// <summary>Creates <see cref="NullExpert"/>s.</summary>
[ExportExpert("null", Description = "Zero-computation expert (MoE++/AdaMoE): outputs zeros, no parameters")]
public sealed class NullExpertFactory : IExpertFactory
{
    /// <summary>The null expert takes no options.</summary>
    public Type? OptionsType => null;

    /// <inheritdoc/>
    public ExpertModule Create(ExpertSpec spec) => new NullExpert(spec);

    /// <summary>No parameters.</summary>
    public IReadOnlyList<(string Name, long[] Shape)> ParameterLayout(ExpertSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        return [];
    }
}
