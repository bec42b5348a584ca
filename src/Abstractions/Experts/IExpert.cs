// Expert contracts: an expert is a feed-forward block of a given width; the dense model's FFN is an
// expert of the same type, so upcycling adopts dense weights one to one.
using PluginMoE.Tensors;

namespace PluginMoE.Abstractions.Experts;

/// <summary>What an expert factory is given.</summary>
/// <param name="ModelDim">Input and output width.</param>
/// <param name="HiddenDim">Inner width (intermediate_size).</param>
public sealed record ExpertSpec(int ModelDim, int HiddenDim)
{
    /// <summary>The plugin's options (its factory's <c>OptionsType</c>), or null.</summary>
    public object? Options { get; init; }

    /// <summary>Random source for parameter initialisation.</summary>
    public Generator Generator { get; init; } = new(0);

    /// <summary>Parameter element type.</summary>
    public ScalarType DType { get; init; } = ScalarType.Float32;
}

/// <summary>
/// A feed-forward expert. Implementations derive from <c>torch.nn.Module</c>; their parameter names use the
/// Hugging Face Llama MLP names (<c>gate_proj.weight</c>, <c>up_proj.weight</c>, <c>down_proj.weight</c> for
/// SwiGLU; <c>up_proj</c>/<c>down_proj</c> for a GELU MLP) so that dense checkpoints map one to one.
/// </summary>
public interface IExpert
{
    /// <summary>(N, ModelDim) to (N, ModelDim).</summary>
    Tensor Forward(Tensor x);

    /// <summary>Number of multiply-adds per token (for FLOP and active-parameter reports).</summary>
    long MacsPerToken { get; }
}

/// <summary>Builds experts; exported with <see cref="Composition.ExportExpertAttribute"/>.</summary>
public interface IExpertFactory : Composition.IPluginFactory
{
    /// <summary>Creates an expert module.</summary>
    IExpert Create(ExpertSpec spec);

    /// <summary>
    /// Parameter names of this expert type relative to the expert (e.g. <c>gate_proj.weight</c>), in the
    /// Llama MLP layout, with their shapes for a given spec. Merge strategies use this to find and stack FFN weights.
    /// </summary>
    IReadOnlyList<(string Name, long[] Shape)> ParameterLayout(ExpertSpec spec);
}
