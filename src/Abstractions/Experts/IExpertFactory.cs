// The factory an expert plugin exports.
namespace PluginMoE.Abstractions.Experts;

/// <summary>Builds experts; exported with <see cref="Composition.ExportExpertAttribute"/>.</summary>
public interface IExpertFactory : Composition.IPluginFactory
{
    /// <summary>Creates an expert module.</summary>
    ExpertModule Create(ExpertSpec spec);

    /// <summary>
    /// Parameter names of this expert type relative to the expert (e.g. <c>gate_proj.weight</c>), in the
    /// Llama MLP layout, with their shapes for a given spec (the plugin's width options applied). Merge strategies
    /// use this to find and stack FFN weights.
    /// </summary>
    IReadOnlyList<(string Name, long[] Shape)> ParameterLayout(ExpertSpec spec);
}
