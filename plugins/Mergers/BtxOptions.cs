// Options of the btx merge strategy (Branch-Train-MiX, arXiv 2403.07816, METHODS.md "BTX linear router").
using System.ComponentModel.DataAnnotations;

namespace PluginMoE.Plugins.Mergers;

/// <summary>Options of <c>btx</c>.</summary>
public sealed class BtxOptions
{
    /// <summary>Add the seed model itself as one more routed (generalist) expert, after the domain experts; its non-FFN parameters then join the average.</summary>
    public bool IncludeSeedAsExpert { get; set; }

    /// <summary>Domain name of the seed expert when <see cref="IncludeSeedAsExpert"/> is set.</summary>
    [Required, MinLength(1)]
    public string SeedDomain { get; set; } = "generalist";
}
