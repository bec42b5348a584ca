// Shared initialisation of expert projections: normal(0, std) as HF Llama's _init_weights (initializer_range 0.02),
// and the inner width after an expert's width multiplier.
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

    /// <summary>
    /// The inner width <c>round(HiddenDim * multiplier)</c>; an error naming the expert when it rounds to zero.
    /// </summary>
    public static int Width(Abstractions.Experts.ExpertSpec spec, double multiplier, string expert)
    {
        CheckSpec(spec, expert);
        if (!(multiplier > 0) || !double.IsFinite(multiplier))
            throw new ArgumentException($"expert '{expert}': WidthMultiplier must be a positive number, got {multiplier}", nameof(multiplier));
        double width = Math.Round(spec.HiddenDim * multiplier, MidpointRounding.AwayFromZero);
        if (width < 1 || width > int.MaxValue)
            throw new ArgumentException(
                $"expert '{expert}': HiddenDim {spec.HiddenDim} x WidthMultiplier {multiplier} gives an inner width of {width}; it must be at least 1", nameof(multiplier));
        return (int)width;
    }
}
