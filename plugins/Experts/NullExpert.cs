// The null expert of MoE++ (Jin et al. 2024) and AdaMoE (Zeng et al. 2024): zero computation, zero parameters,
// output zeros. A token routed to it spends that slot on nothing, which makes compute adapt per token.
using PluginMoE.Abstractions.Experts;
using PluginMoE.Tensors;
using static PluginMoE.Tensors.torch;

namespace PluginMoE.Plugins.Experts;

/// <summary>An expert whose output is zero for every input; it has no parameters and costs no multiply-adds.</summary>
public sealed class NullExpert : ExpertModule
{
    /// <summary>Checks the spec's model width (the inner width is ignored).</summary>
    public NullExpert(ExpertSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        if (spec.ModelDim <= 0)
            throw new ArgumentException($"expert 'null': ModelDim ({spec.ModelDim}) must be positive", nameof(spec));
    }

    /// <summary>Zero.</summary>
    public override long MacsPerToken => 0;

    /// <summary>(N, d) -> (N, d) zeros (no gradient flows to the input through this expert).</summary>
    public override Tensor forward(Tensor x)
    {
        ArgumentNullException.ThrowIfNull(x);
        return zeros_like(x);
    }
}
