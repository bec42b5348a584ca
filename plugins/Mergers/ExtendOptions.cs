// Options of the extend strategy (Nexus, arXiv 2408.15901: lambda = 1/(n+1)).
using System.ComponentModel.DataAnnotations;

namespace PluginMoE.Plugins.Mergers;

/// <summary>Options of <c>extend</c>.</summary>
public sealed class ExtendOptions
{
    /// <summary>Weight of the new expert's non-FFN parameters: (1 - Lambda) * phi_moe + Lambda * phi_new; null (default) for 1/(n+1).</summary>
    [Range(0.0, 1.0)]
    public double? Lambda { get; set; }
}
