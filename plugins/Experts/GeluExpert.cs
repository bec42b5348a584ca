// GELU MLP (GPT-2/BERT style, no biases): y = down(gelu(up(x))).
using PluginMoE.Abstractions.Experts;
using PluginMoE.Tensors;
using static PluginMoE.Tensors.torch;

namespace PluginMoE.Plugins.Experts;

/// <summary>A two-layer MLP <c>down_proj(gelu(up_proj(x)))</c> without biases.</summary>
public sealed class GeluExpert : ExpertModule
{
    private readonly string _approximate;

    /// <summary>d -> hidden.</summary>
    public readonly nn.Linear up_proj;

    /// <summary>hidden -> d.</summary>
    public readonly nn.Linear down_proj;

    /// <summary>Builds both projections at inner width <c>spec.HiddenDim</c> from normal(0, initStd), up first.</summary>
    /// <param name="spec">Widths, generator and dtype.</param>
    /// <param name="approximate"><c>none</c> or <c>tanh</c>.</param>
    /// <param name="initStd">Init standard deviation.</param>
    public GeluExpert(ExpertSpec spec, string approximate, double initStd)
    {
        ExpertInit.CheckSpec(spec, "gelu");
        if (approximate is not ("none" or "tanh"))
            throw new ArgumentException($"expert 'gelu': Approximate must be 'none' or 'tanh', got '{approximate}'", nameof(approximate));
        _approximate = approximate;
        up_proj = ExpertInit.Projection(spec.ModelDim, spec.HiddenDim, initStd, spec);
        down_proj = ExpertInit.Projection(spec.HiddenDim, spec.ModelDim, initStd, spec);
        MacsPerToken = 2L * spec.ModelDim * spec.HiddenDim;
        RegisterComponents();
    }

    /// <inheritdoc/>
    public override long MacsPerToken { get; }

    /// <summary>(N, d) -> (N, d).</summary>
    public override Tensor forward(Tensor x) =>
        down_proj.forward(nn.functional.gelu(up_proj.forward(x), _approximate)); // (N, hidden) -> (N, d)

    /// <inheritdoc/>
    public override string extra_repr() => $"approximate='{_approximate}'";
}
