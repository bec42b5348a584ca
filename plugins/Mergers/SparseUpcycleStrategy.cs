// Merge strategy `sparse-upcycle` (Sparse Upcycling, Komatsuzaki et al., arXiv 2212.05055): one dense model
// becomes an MoE whose n routed experts are copies of its FFN (every other parameter is kept), optionally
// with Drop-Upcycling's partial re-initialisation of each copy so that the experts can diverge.
using PluginMoE.Abstractions.Checkpoints;
using PluginMoE.Abstractions.Composition;
using PluginMoE.Abstractions.Merging;
using PluginMoE.Tensors;

namespace PluginMoE.Plugins.Mergers;

/// <summary>The <c>sparse-upcycle</c> strategy.</summary>
[ExportMergeStrategy("sparse-upcycle", Description = "Sparse upcycling: one dense model to an MoE of n copies of its FFN; option DropFraction re-initialises part of each copy (Drop-Upcycling)")]
public sealed class SparseUpcycleStrategy : IMergeStrategy
{
    /// <summary>The name profiles and the CLI use.</summary>
    public const string Name = "sparse-upcycle";

    /// <inheritdoc/>
    public Type? OptionsType => typeof(SparseUpcycleOptions);

    /// <summary>False: the experts are copies of the seed's FFN; <see cref="MoeConfig.NumExperts"/> says how many.</summary>
    public bool TakesExperts => false;

    /// <inheritdoc/>
    public ModelCheckpoint Merge(MergeRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var options = request.Options as SparseUpcycleOptions ?? new SparseUpcycleOptions();
        var problems = new List<string>();
        var seed = new MergeInput("seed", request.Seed);
        InputChecks.Dense(seed, problems, "sparse upcycling starts from a dense model");
        if (request.Experts.Count > 0)
            problems.Add($"sparse-upcycle copies the seed's FFN into every expert and takes no expert models, but {request.Experts.Count} were given ({string.Join(", ", request.Experts.Select(e => e.Domain))}); use btx or nexus to merge expert models");
        int n = request.Moe.NumExperts;
        Upcycling.CheckMoe(request.Moe, n, seed.Config.NumHiddenLayers, problems);
        if (request.Moe.Domains.Count is > 0 and var d && d != n)
            problems.Add($"{d} domain names were given for {n} experts; give one per expert or none");
        InputChecks.DistinctDomains(request.Moe.Domains, problems);
        InputChecks.ThrowIfAny(problems, Name);

        var copies = Enumerable.Repeat(seed, n).ToList();
        var moe = request.Moe with { ExpertIntermediateSize = null, SharedExpertIntermediateSize = null };
        var merged = Upcycling.Build(new Upcycling.Plan(seed, copies, [seed], Shared: null, moe, DomainEmbeddings: null));
        return options.DropFraction > 0 ? Drop(merged, seed, options) : merged;
    }

    /// <summary>
    /// Re-initialises DropFraction of every copy's inner units. Each layer and expert draws its unit choice, and each of its
    /// matrices its fresh values, from its own range of one Philox stream seeded with <see cref="SparseUpcycleOptions.Seed"/>,
    /// so every tensor is computed on its own, in any order, when the writer reaches it.
    /// </summary>
    private static ModelCheckpoint Drop(ModelCheckpoint merged, MergeInput seed, SparseUpcycleOptions options)
    {
        var tensors = (ComputedTensors)merged.Tensors;
        var moe = merged.Config.Moe!;
        long inner = merged.Config.ExpertIntermediateSize;
        for (int i = 0; i < merged.Config.NumHiddenLayers; i++)
        {
            if (!moe.IsMoeLayer(i)) continue;
            var ffn = FfnNames.DenseFfn(seed, i);
            for (int j = 0; j < moe.NumExperts; j++)
            {
                long stream = ((long)i * moe.NumExperts + j) * (ffn.Count + 1);
                var prefix = CanonicalNames.Expert(i, j);
                for (int k = 0; k < ffn.Count; k++)
                {
                    var rel = ffn[k];
                    long matrix = stream + 1 + k;
                    tensors.Transform(prefix + rel, w => DropUpcycling.Reinitialise(rel, w,
                        DropUpcycling.UnitMask(inner, options.DropFraction, Stream(options.Seed, stream)), Stream(options.Seed, matrix)));
                }
            }
        }
        return merged;
    }

    /// <summary>Stream <paramref name="index"/> of the seed: the Philox range starting at block index * 2^40 (disjoint for any model size).</summary>
    private static Generator Stream(long seed, long index)
    {
        var g = new Generator(seed);
        g.set_state([seed, index << 40]);
        return g;
    }

    /// <inheritdoc/>
    public ModelCheckpoint Extend(ExtendRequest request) => Extension.Extend(request, lambda: null, Name);
}
