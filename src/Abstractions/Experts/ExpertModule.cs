// The base class of every expert: a torch.nn.Module with a forward function that is also an IExpert.
using PluginMoE.Tensors;
using static PluginMoE.Tensors.torch;

namespace PluginMoE.Abstractions.Experts;

/// <summary>
/// Base class of expert plugins: implement <c>forward</c> ((N, d) to (N, d)) and <see cref="MacsPerToken"/>, and
/// register the projections as for any module (field names become parameter names).
/// </summary>
public abstract class ExpertModule : nn.Module<Tensor, Tensor>, IExpert
{
    /// <inheritdoc/>
    public abstract long MacsPerToken { get; }
}
