// SwiGLU feed-forward block (Shazeer 2020, as in Llama): y = down(silu(gate(x)) * up(x)), no biases.
using PluginMoE.Abstractions.Experts;
using PluginMoE.Tensors;
using static PluginMoE.Tensors.torch;

namespace PluginMoE.Plugins.Experts;

/// <summary>The Llama MLP: <c>down_proj(silu(gate_proj(x)) * up_proj(x))</c>; parameter names as in HF's LlamaMLP.</summary>
public sealed class SwiGluExpert : ExpertModule, IHuggingFaceExpert
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

    /// <summary>(N, d) -> (N, d).</summary>
    public override Tensor forward(Tensor x) =>
        down_proj.forward(nn.functional.silu(gate_proj.forward(x)) * up_proj.forward(x)); // (N, hidden) -> (N, d)

    /// <summary>A Llama MLP with <c>hidden_act = silu</c> at this expert's inner width.</summary>
    public HuggingFaceMlp? ToHuggingFace() => new("silu", (int)gate_proj.weight.size(0));
}
