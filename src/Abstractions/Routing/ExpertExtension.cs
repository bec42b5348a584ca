// What a router is told when experts are appended to its MoE layer (model extension, Nexus section 3.3).
using PluginMoE.Tensors;

namespace PluginMoE.Abstractions.Routing;

/// <summary>Experts being appended to a router.</summary>
/// <param name="Count">How many experts are appended.</param>
public sealed record ExpertExtension(int Count)
{
    /// <summary>Domain embeddings of the new experts (Count, m), for routers that use them.</summary>
    public Tensor? DomainEmbeddings { get; init; }

    /// <summary>Random source for any new parameters.</summary>
    public Generator Generator { get; init; } = new(0);
}
