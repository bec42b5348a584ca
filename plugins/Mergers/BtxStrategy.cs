// Merge strategy `btx` (Branch-Train-MiX, arXiv 2403.07816): N dense domain experts branched from one seed
// become an MoE whose layer-i experts are the experts' layer-i FFNs, unchanged; every other parameter
// (embeddings, attention, norms, LM head) is the plain average of the expert models. Optionally the seed is
// one more (generalist) expert. With the linear router and no shared expert the result saves as Mixtral.
using PluginMoE.Abstractions.Checkpoints;
using PluginMoE.Abstractions.Composition;
using PluginMoE.Abstractions.Merging;

namespace PluginMoE.Plugins.Mergers;

/// <summary>The <c>btx</c> strategy.</summary>
[ExportMergeStrategy("btx", Description = "BTX upcycling: the experts' FFNs stacked as routed experts, every other parameter averaged; option: the seed as one more generalist expert")]
public sealed class BtxStrategy : IMergeStrategy
{
    /// <summary>The name profiles and the CLI use.</summary>
    public const string Name = "btx";

    /// <inheritdoc/>
    public Type? OptionsType => typeof(BtxOptions);

    /// <inheritdoc/>
    public ModelCheckpoint Merge(MergeRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var options = request.Options as BtxOptions ?? new BtxOptions();
        var domains = request.Experts.Select(e => e.Domain).ToList();
        if (options.IncludeSeedAsExpert) domains.Add(options.SeedDomain);
        var problems = new List<string>();
        var (seed, experts) = Upcycling.CheckInputs(request, domains.Count, problems, domains);
        var embeddings = InputChecks.DomainEmbeddings(request.Experts, problems, required: null);
        if (embeddings is not null && options.IncludeSeedAsExpert)
            problems.Add($"the experts have domain embeddings but the seed, added as expert '{options.SeedDomain}', has none; give no embeddings, or merge without IncludeSeedAsExpert");
        InputChecks.ThrowIfAny(problems, Name);

        if (options.IncludeSeedAsExpert) experts.Add(seed);
        var moe = request.Moe with { NumExperts = experts.Count, Domains = domains, ExpertIntermediateSize = null, SharedExpertIntermediateSize = null };
        return Upcycling.Build(new Upcycling.Plan(seed, experts, experts, Shared: null, moe, embeddings));
    }

    /// <inheritdoc/>
    public ModelCheckpoint Extend(ExtendRequest request) => Extension.Extend(request, lambda: null, Name);
}
