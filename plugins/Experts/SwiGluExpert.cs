// SwiGLU feed-forward block (Shazeer 2020, as in Llama): y = down(silu(gate(x)) * up(x)), no biases.
using PluginMoE.Abstractions.Experts;
using PluginMoE.Tensors;
using static PluginMoE.Tensors.torch;

namespace PluginMoE.Plugins.Experts;

/// <summary>The Llama MLP: <c>down_proj(silu(gate_proj(x)) * up_proj(x))</c>; parameter names as in HF's LlamaMLP.</summary>
public sealed class SwiGluExpert : ExpertModule, IHuggingFaceExpert, IGroupedFfnExpert
{
    /// <summary>d -> hidden, the gated branch.</summary>
    public readonly nn.Linear gate_proj;

    /// <summary>d -> hidden, the linear branch.</summary>
    public readonly nn.Linear up_proj;

    /// <summary>hidden -> d.</summary>
    public readonly nn.Linear down_proj;

    /// <summary>Builds the three projections at inner width <c>spec.HiddenDim</c>, drawing each from normal(0, <paramref name="initStd"/>) in the order gate, up, down.</summary>
    public SwiGluExpert(ExpertSpec spec, double initStd)
    {
        ExpertInit.CheckSpec(spec, "swiglu");
        gate_proj = ExpertInit.Projection(spec.ModelDim, spec.HiddenDim, initStd, spec);
        up_proj = ExpertInit.Projection(spec.ModelDim, spec.HiddenDim, initStd, spec);
        down_proj = ExpertInit.Projection(spec.HiddenDim, spec.ModelDim, initStd, spec);
        MacsPerToken = 3L * spec.ModelDim * spec.HiddenDim;
        RegisterComponents();
    }

    /// <inheritdoc/>
    public override long MacsPerToken { get; }

    /// <summary>(N, d) -> (N, d); the gate silu(g) * u is one fused kernel (<see cref="nn.functional.swiglu"/>).</summary>
    public override Tensor forward(Tensor x) =>
        down_proj.forward(nn.functional.swiglu(gate_proj.forward(x), up_proj.forward(x))); // (N, hidden) -> (N, d)

    /// <summary>
    /// The three live weights, so a MoE layer computes this expert together with the others of its layer (one grouped
    /// GEMM per projection); null if a bias has been given to a projection (the grouped form has none).
    /// </summary>
    public GroupedFfnWeights? GroupedWeights =>
        gate_proj.bias is null && up_proj.bias is null && down_proj.bias is null
            ? new GroupedFfnWeights(GroupedFfnKind.SwiGlu, gate_proj.weight, up_proj.weight, down_proj.weight)
            : null;

    /// <summary>A Llama MLP with <c>hidden_act = silu</c> at this expert's inner width.</summary>
    public HuggingFaceMlp? ToHuggingFace() => new("silu", (int)gate_proj.weight.size(0));
}
