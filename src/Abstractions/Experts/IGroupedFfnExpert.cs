// Optional expert contract (added in contract 2.1): an expert whose forward is a standard feed-forward form over
// weight matrices it exposes, so a MoE layer can treat the same projection of all its experts as one stack (E, h, d)
// and run ONE grouped GEMM per projection over the expert-sorted tokens instead of a loop of small per-expert GEMMs
// (the grouped/"dropless" expert computation of MegaBlocks, Gale et al. 2023). Experts without it keep working.
using PluginMoE.Tensors;

namespace PluginMoE.Abstractions.Experts;

/// <summary>The feed-forward forms a MoE layer can compute for a group of experts at once.</summary>
public enum GroupedFfnKind
{
    /// <summary>
    /// The Llama MLP: <c>forward(x) = down(silu(gate(x)) * up(x))</c>, no biases
    /// (<see cref="GroupedFfnWeights.Gate"/>, <see cref="GroupedFfnWeights.Up"/> and <see cref="GroupedFfnWeights.Down"/> all set).
    /// </summary>
    SwiGlu,
}

/// <summary>
/// One expert's weight matrices in <c>nn.Linear</c> layout (out_features, in_features): the live parameters (not copies),
/// so gradients computed through them reach the expert's own parameters.
/// </summary>
/// <param name="Kind">The feed-forward form the matrices are used in.</param>
/// <param name="Gate">(hidden, d) gated branch, for the gated kinds; otherwise null.</param>
/// <param name="Up">(hidden, d) first projection.</param>
/// <param name="Down">(d, hidden) output projection.</param>
public sealed record GroupedFfnWeights(GroupedFfnKind Kind, Tensor? Gate, Tensor Up, Tensor Down);

/// <summary>
/// Optional: an expert whose <see cref="IExpert.forward"/> is exactly the <see cref="GroupedFfnKind"/> form over the
/// matrices in <see cref="GroupedWeights"/>. A MoE layer groups the experts whose weights have one kind, shape, dtype
/// and device and computes them together (one grouped GEMM per projection, forward and backward); the other experts
/// (those without this interface, or returning null) run through their own forward as before, and a layer may mix
/// both. Results equal the per-expert forward up to floating-point rounding of the GEMM.
/// </summary>
public interface IGroupedFfnExpert : IExpert
{
    /// <summary>
    /// The matrices of this expert's feed-forward form, or null when its forward is not (or not now) that form, e.g.
    /// while an adapter wraps it; the layer then calls <see cref="IExpert.forward"/>.
    /// </summary>
    GroupedFfnWeights? GroupedWeights { get; }
}
