// Extending an MoE with a new domain expert (Nexus section 3.3; BTX-style extension): the merge strategy's Extend
// appends the expert's FFNs and mixes the shared weights, every router is told about the new expert (AddExperts), and
// the result is a model whose optimizer state starts fresh. The one entry point, so no caller stitches these by hand.
using PluginMoE.Abstractions.Checkpoints;
using PluginMoE.Abstractions.Merging;
using PluginMoE.Abstractions.Routing;
using PluginMoE.Core.Composition;
using PluginMoE.Tensors;
using static PluginMoE.Tensors.torch;

namespace PluginMoE.Core.Model;

/// <summary>Adds one domain expert to an MoE model.</summary>
public static class ModelExtension
{
    /// <summary>
    /// Returns a new model with <paramref name="newExpert"/> appended as expert n of every MoE layer:
    /// <list type="number">
    /// <item><c>strategy.Extend</c> on the MoE's checkpoint gives every tensor except the routers' (expert n's FFNs and the mixed non-FFN weights);</item>
    /// <item>a copy of the MoE is built, each MoE layer gets a fresh expert n (<see cref="Moe.MoeLayer.AddExperts"/>), whose router is told through
    /// <see cref="IRouter.AddExperts"/> (with the new domain embedding, and <paramref name="generator"/> for any new router parameters);</item>
    /// <item>every non-router tensor is then loaded from the merged checkpoint (strict: names and shapes must match);</item>
    /// <item>the config gains one expert (and the domain name, when the MoE names its domains) and the model's domain embeddings the new row.</item>
    /// </list>
    /// The model has no optimizer state: train it with a new <see cref="Training.Trainer"/>, whose AdamW moments start at zero for
    /// every parameter (routers may have replaced theirs, so moments of the old model would not line up anyway).
    /// </summary>
    /// <param name="moe">The MoE model to extend (left unchanged).</param>
    /// <param name="strategy">The merge strategy (its <see cref="IMergeStrategy.Extend"/>).</param>
    /// <param name="newExpert">The new dense domain expert (and its domain embedding for routers that use them).</param>
    /// <param name="catalog">Where the router and expert plugins come from.</param>
    /// <param name="generator">Random source for new router parameters and the placeholder init of the new expert (overwritten).</param>
    /// <param name="strategyOptions">The strategy's bound options, or null.</param>
    /// <exception cref="ArgumentException">The model is dense, or the strategy's result does not fit the extended model (the message lists the tensors).</exception>
    public static TransformerLM Extend(TransformerLM moe, IMergeStrategy strategy, ExpertSource newExpert, IComponentCatalog catalog,
        Generator generator, object? strategyOptions = null)
    {
        ArgumentNullException.ThrowIfNull(moe);
        ArgumentNullException.ThrowIfNull(strategy);
        ArgumentNullException.ThrowIfNull(newExpert);
        ArgumentNullException.ThrowIfNull(catalog);
        ArgumentNullException.ThrowIfNull(generator);
        var config = moe.Config;
        var moeConfig = config.Moe ?? throw new ArgumentException("ModelExtension.Extend: the model is dense; extension appends an expert to an MoE", nameof(moe));
        if (moe.DomainEmbeddings is not null && newExpert.DomainEmbedding is null)
            throw new ArgumentException($"ModelExtension.Extend: the MoE has domain embeddings ({moe.DomainEmbeddings.size(0)} x {moe.DomainEmbeddings.size(1)}) but the new expert '{newExpert.Domain}' has none; give its domain embedding", nameof(newExpert));

        var before = moe.ToCheckpoint();
        var merged = strategy.Extend(new ExtendRequest(before, newExpert) { Options = strategyOptions });

        var model = TransformerLM.FromCheckpoint(before, moe.Plan, catalog);
        var dtype = model.EmbeddingWeight.dtype;
        var embedding = newExpert.DomainEmbedding?.to(moe.DomainEmbeddings?.dtype ?? dtype).reshape(1, -1); // (1, m)
        var grown = moe.Plan.WithMoreExperts(1, m => m with { Domains = moeConfig.Domains.Count > 0 ? [.. moeConfig.Domains, newExpert.Domain] : moeConfig.Domains });
        foreach (var (_, block) in model.MoeLayers)
        {
            var expert = PluginBuilder.Expert(catalog, grown, block.ExpertDim, grown.Config.ExpertIntermediateSize, generator, dtype);
            block.AddExperts([expert], new ExpertExtension(1) { DomainEmbeddings = embedding, Generator = generator });
        }

        var own = model.state_dict();
        bool IsRouter(string name) => model.MoeLayers.Any(l => name.StartsWith(CanonicalNames.Router(l.Layer), StringComparison.Ordinal));
        var wanted = own.Keys.Where(k => !IsRouter(k)).ToList();
        var missing = wanted.Where(k => !merged.Tensors.ContainsKey(k)).ToList();
        var mismatched = wanted.Where(k => merged.Tensors.TryGetValue(k, out var t) && !t.shape.SequenceEqual(own[k].shape))
            .Select(k => $"{k}: merged ({string.Join(", ", merged.Tensors[k].shape)}), model ({string.Join(", ", own[k].shape)})").ToList();
        if (missing.Count + mismatched.Count > 0)
            throw new ArgumentException(
                $"ModelExtension.Extend: merge strategy '{strategy.GetType().Name}' returned tensors that do not fit the extended model" +
                (missing.Count > 0 ? $"; missing: {string.Join(", ", missing.Take(8))}{(missing.Count > 8 ? $" (+{missing.Count - 8})" : "")}" : "") +
                (mismatched.Count > 0 ? $"; shape mismatches: {string.Join("; ", mismatched.Take(8))}" : ""), nameof(strategy));
        var load = own.ToDictionary(kv => kv.Key, kv => IsRouter(kv.Key) ? kv.Value : merged.Tensors[kv.Key].to(kv.Value.dtype));
        model.load_state_dict(load);

        var domains = moe.DomainEmbeddings is null || embedding is null ? moe.DomainEmbeddings : cat([moe.DomainEmbeddings, embedding], 0);
        model.Extended(grown, domains);
        return model;
    }
}
