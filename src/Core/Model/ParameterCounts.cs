// Parameter counts of a model: everything stored, and what one token touches in training and at inference.
namespace PluginMoE.Core.Model;

/// <summary>Parameter counts (elements).</summary>
/// <param name="Total">Every parameter stored (a tied embedding counted once).</param>
/// <param name="ActiveTraining">Parameters one token uses in training: all non-expert parameters plus, per MoE layer, k routed experts (and the shared expert).</param>
/// <param name="ActiveInference">As <paramref name="ActiveTraining"/>, with each router replaced by its inference form (<c>IRouter.ToInference</c>).</param>
public sealed record ParameterCounts(long Total, long ActiveTraining, long ActiveInference);
