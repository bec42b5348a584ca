// Merge strategy `nexus` (Nexus, arXiv 2408.15901): as btx, plus the seed's FFN as the always-on shared
// expert of every MoE layer, and the experts' domain embeddings (n, m) stored as pluginmoe.domain_embeddings
// for the nexus router, whose hypernetwork turns them into expert embeddings.
using PluginMoE.Abstractions.Checkpoints;
using PluginMoE.Abstractions.Composition;
using PluginMoE.Abstractions.Merging;

namespace PluginMoE.Plugins.Mergers;

/// <summary>The <c>nexus</c> strategy.</summary>
[ExportMergeStrategy("nexus", Description = "Nexus upcycling: the experts' FFNs as routed experts, the seed's FFN as the shared expert, domain embeddings stored for the nexus router")]
public sealed class NexusStrategy : IMergeStrategy
{
    /// <summary>The name profiles and the CLI use.</summary>
    public const string Name = "nexus";

    /// <inheritdoc/>
    public Type? OptionsType => typeof(NexusOptions);

    /// <inheritdoc/>
    public ModelCheckpoint Merge(MergeRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var options = request.Options as NexusOptions ?? new NexusOptions();
        var domains = request.Experts.Select(e => e.Domain).ToList();
        var problems = new List<string>();
        var (seed, experts) = Upcycling.CheckInputs(request, domains.Count, problems, domains);
        var embeddings = InputChecks.DomainEmbeddings(request.Experts, problems,
            required: "the nexus router routes by domain embeddings: give one (m) vector per expert (pluginmoe merge --embeddings FILE)");
        InputChecks.ThrowIfAny(problems, Name);

        var moe = request.Moe with { NumExperts = experts.Count, Domains = domains, ExpertIntermediateSize = null, SharedExpertIntermediateSize = seed.Config.IntermediateSize };
        var averaged = options.AverageIncludesSeed ? [.. experts, seed] : experts;
        return Upcycling.Build(new Upcycling.Plan(seed, experts, averaged, Shared: seed, moe, embeddings));
    }

    /// <inheritdoc/>
    public ModelCheckpoint Extend(ExtendRequest request) => Extension.Extend(request, lambda: null, Name);
}
