// Architecture checks of a ModelConfig before a model is built: ModelRules (the rules the profile's Model section is
// checked with too), with messages that name the ModelConfig property, the value and what would work.
using PluginMoE.Abstractions.Checkpoints;

namespace PluginMoE.Core.Model;

public sealed partial class TransformerLM
{
    /// <summary>Throws <see cref="ArgumentException"/> listing every broken <see cref="ModelRules"/> rule of <paramref name="c"/>.</summary>
    internal static void Validate(ModelConfig c)
    {
        var problems = ModelRules.Check(c, ModelKeyNames.Config);
        if (problems.Count > 0)
            throw new ArgumentException("invalid model config:\n\t" + string.Join("\n\t", problems));
    }
}
