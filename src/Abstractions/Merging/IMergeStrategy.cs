// Merge strategies build an MoE from a seed and domain experts (upcycling), and extend an MoE with one
// more expert. They work on named tensors only; router parameters are never produced here: the host
// builds the router from its plugin (fresh, or the old router followed by IRouter.AddExperts).
using PluginMoE.Abstractions.Checkpoints;
using PluginMoE.Tensors;

namespace PluginMoE.Abstractions.Merging;

/// <summary>One domain expert: a dense model trained on one domain.</summary>
/// <param name="Domain">Domain name (e.g. <c>code</c>).</param>
/// <param name="Checkpoint">The dense expert model.</param>
/// <param name="DomainEmbedding">Its domain embedding (m), or null when the router uses none.</param>
public sealed record ExpertSource(string Domain, ModelCheckpoint Checkpoint, Tensor? DomainEmbedding);

/// <summary>Input of an upcycling merge.</summary>
/// <param name="Seed">The dense seed model the experts were branched from.</param>
/// <param name="Experts">The domain experts, in expert order.</param>
/// <param name="Moe">MoE settings of the result (router, k, load-balancing weights...).</param>
public sealed record MergeRequest(ModelCheckpoint Seed, IReadOnlyList<ExpertSource> Experts, MoeConfig Moe)
{
    /// <summary>The strategy's options (its factory's <c>OptionsType</c>), or null.</summary>
    public object? Options { get; init; }
}

/// <summary>Input of an extension: one new expert appended to an MoE.</summary>
/// <param name="Moe">The MoE model to extend (router tensors included).</param>
/// <param name="NewExpert">The new dense domain expert.</param>
public sealed record ExtendRequest(ModelCheckpoint Moe, ExpertSource NewExpert)
{
    /// <summary>The strategy's options, or null.</summary>
    public object? Options { get; init; }
}

/// <summary>Builds and extends MoE checkpoints; exported with <see cref="Composition.ExportMergeStrategyAttribute"/>.</summary>
public interface IMergeStrategy : Composition.IPluginFactory
{
    /// <summary>
    /// True (default) when <see cref="Merge"/> combines expert models; false when it builds the MoE from the seed alone
    /// (sparse upcycling): callers then pass no experts and set the number of experts in <see cref="MergeRequest.Moe"/>.
    /// </summary>
    bool TakesExperts => true;

    /// <summary>
    /// Upcycles: returns the MoE checkpoint (config with <see cref="ModelConfig.Moe"/> set; all tensors
    /// except the router's, plus <see cref="CanonicalNames.DomainEmbeddings"/> when domain embeddings are given).
    /// </summary>
    ModelCheckpoint Merge(MergeRequest request);

    /// <summary>
    /// Appends <see cref="ExtendRequest.NewExpert"/>'s FFNs as expert n of every MoE layer and mixes the
    /// non-FFN parameters; router tensors are passed through unchanged (the host then calls <c>AddExperts</c>).
    /// </summary>
    ModelCheckpoint Extend(ExtendRequest request);
}
