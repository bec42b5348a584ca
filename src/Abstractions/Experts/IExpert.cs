// Expert contracts: an expert is a feed-forward block of a given width; the dense model's FFN is an
// expert of the same type, so upcycling adopts dense weights one to one.
using PluginMoE.Tensors;

namespace PluginMoE.Abstractions.Experts;

/// <summary>
/// A feed-forward expert. Implementations derive from <see cref="ExpertModule"/>; their parameter names use the
/// Hugging Face Llama MLP names (<c>gate_proj.weight</c>, <c>up_proj.weight</c>, <c>down_proj.weight</c> for
/// SwiGLU; <c>up_proj</c>/<c>down_proj</c> for a GELU MLP) so that dense checkpoints map one to one.
/// </summary>
public interface IExpert
{
    /// <summary>(N, ModelDim) to (N, ModelDim); named like <c>torch.nn.Module.forward</c>, which it is.</summary>
    Tensor forward(Tensor x);

    /// <summary>Number of multiply-adds per token (for FLOP and active-parameter reports).</summary>
    long MacsPerToken { get; }
}
