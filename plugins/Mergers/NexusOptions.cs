// Options of the nexus merge strategy (Nexus, arXiv 2408.15901, METHODS.md "Nexus router").
namespace PluginMoE.Plugins.Mergers;

/// <summary>Options of <c>nexus</c>.</summary>
public sealed class NexusOptions
{
    /// <summary>Average the seed's non-FFN parameters together with the experts' (default: the experts' only, as BTX).</summary>
    public bool AverageIncludesSeed { get; set; }
}
