// Shared initialisation of expert projections: normal(0, std) as HF Llama's _init_weights (initializer_range 0.02).
using static PluginMoE.Tensors.torch;

namespace PluginMoE.Plugins.Experts;

/// <summary>Builds the bias-free projections experts are made of.</summary>
internal static class ExpertInit
{
    /// <summary>A bias-free <c>nn.Linear(inFeatures, outFeatures)</c> with weights drawn from normal(0, std).</summary>
    public static nn.Linear Projection(long inFeatures, long outFeatures, double std, Abstractions.Experts.ExpertSpec spec)
    {
        var layer = new nn.Linear(inFeatures, outFeatures, bias: false, generator: spec.Generator, dtype: spec.DType);
        // Re-draw: nn.Linear's own init is PyTorch's kaiming-uniform; HF Llama (and we) use normal(0, std).
        nn.init.normal_(layer.weight, 0, std, spec.Generator);
        return layer;
    }

    /// <summary>Checks the widths of a spec (both positive) with a message naming the expert type.</summary>
    public static void CheckSpec(Abstractions.Experts.ExpertSpec spec, string expert)
    {
        ArgumentNullException.ThrowIfNull(spec);
        if (spec.ModelDim <= 0 || spec.HiddenDim <= 0)
            throw new ArgumentException(
                $"expert '{expert}': ModelDim ({spec.ModelDim}) and HiddenDim ({spec.HiddenDim}) must both be positive", nameof(spec));
    }
}
