// Builds an MoE checkpoint from dense models (BTX, Nexus, sparse upcycling): in every MoE layer the FFN of
// model j becomes routed expert j (tensors copied unchanged), optionally the seed's FFN becomes the shared
// expert, and every other parameter is the average of the given models. Router tensors are not produced:
// the host builds the router from its plugin. Tensors are computed when read, one at a time from the (mapped) inputs.
using PluginMoE.Abstractions.Checkpoints;
using PluginMoE.Abstractions.Merging;
using PluginMoE.Tensors;

namespace PluginMoE.Plugins.Mergers;

/// <summary>The MoE assembly shared by the upcycling strategies.</summary>
internal static class Upcycling
{
    /// <summary>What to assemble.</summary>
    /// <param name="Reference">The seed: its config (with <paramref name="Moe"/>) and tensor names define the result.</param>
    /// <param name="Experts">Model j's FFN becomes routed expert j of every MoE layer.</param>
    /// <param name="Averaged">The models whose non-FFN parameters (and dense FFNs of non-MoE layers) are averaged.</param>
    /// <param name="Shared">The model whose FFN becomes each MoE layer's shared expert, or null.</param>
    /// <param name="Moe">The result's MoE settings (experts, domains, shared width already set).</param>
    /// <param name="DomainEmbeddings">(n, m) embeddings stored as <see cref="CanonicalNames.DomainEmbeddings"/>, or null.</param>
    public sealed record Plan(MergeInput Reference, IReadOnlyList<MergeInput> Experts, IReadOnlyList<MergeInput> Averaged,
        MergeInput? Shared, MoeConfig Moe, Tensor? DomainEmbeddings);

    /// <summary>
    /// Assembles the MoE checkpoint of <paramref name="plan"/>. Its tensors are computed when read (an <see cref="ILazyTensorMap"/>
    /// over the inputs), so a writer streams the result one tensor at a time.
    /// </summary>
    public static ModelCheckpoint Build(Plan plan)
    {
        var reference = plan.Reference;
        var config = reference.Config with { Moe = plan.Moe };
        var tensors = new ComputedTensors($"merge of {string.Join(", ", plan.Averaged.Concat(plan.Experts).Distinct().Select(m => m.Role))}");
        var weights = Averaging.Normalise(null, plan.Averaged.Count);
        void Averaged(string name) => tensors.Add(name, reference.ShapeOf(name), plan.Averaged[0].DTypeOf(name),
            () => plan.Averaged.Count == 1 ? plan.Averaged[0].Read(name) : Averaging.Average(plan.Averaged, weights, name));
        void Copied(string name, MergeInput from, string fromName) => tensors.Add(name, from.ShapeOf(fromName), from.DTypeOf(fromName), () => from.Read(fromName));

        foreach (var name in reference.Names.Where(FfnNames.IsShared)) Averaged(name);
        for (int i = 0; i < config.NumHiddenLayers; i++)
        {
            var ffn = FfnNames.DenseFfn(reference, i);
            var mlp = CanonicalNames.Mlp(i);
            if (!plan.Moe.IsMoeLayer(i))
            {
                foreach (var rel in ffn) Averaged(mlp + rel); // a dense layer stays dense: averaged
                continue;
            }
            for (int j = 0; j < plan.Experts.Count; j++)
                foreach (var rel in ffn) Copied(CanonicalNames.Expert(i, j) + rel, plan.Experts[j], mlp + rel);
            if (plan.Shared is { } shared)
                foreach (var rel in ffn) Copied(CanonicalNames.SharedExpert(i) + rel, shared, mlp + rel);
        }
        if (plan.DomainEmbeddings is { } e) tensors.Add(CanonicalNames.DomainEmbeddings, e);
        // Every FFN is one of the inputs' FFNs at its width, so the seed's FFN form carries over; the router part is
        // left for whoever builds the routers.
        var form = reference.Checkpoint.HuggingFace is { } f ? f with { RenormalizeTopK = null, RouterObstacle = null, RouterJitterNoise = 0 } : null;
        return new ModelCheckpoint(config, tensors) { HuggingFace = form };
    }

    /// <summary>
    /// Checks the seed and the experts (all dense, the seed's architecture and tensors, distinct domains) and
    /// the MoE settings (k, layer set) for <paramref name="routedExperts"/> routed experts; appends problems.
    /// </summary>
    public static (MergeInput Seed, List<MergeInput> Experts) CheckInputs(MergeRequest request, int routedExperts, List<string> problems, IReadOnlyList<string> domains)
    {
        ArgumentNullException.ThrowIfNull(request);
        var seed = new MergeInput("seed", request.Seed);
        var experts = request.Experts.Select(e => new MergeInput($"expert '{e.Domain}'", e.Checkpoint)).ToList();
        const string hint = "merge strategies take dense checkpoints (Llama layout); to add a dense expert to an MoE use the 'extend' strategy (pluginmoe extend)";
        InputChecks.Dense(seed, problems, hint);
        foreach (var e in experts)
        {
            InputChecks.Dense(e, problems, hint);
            int before = problems.Count;
            InputChecks.SameArchitecture(seed, e, problems);
            if (problems.Count == before) InputChecks.SameTensors(seed, e, problems);
        }
        InputChecks.DistinctDomains(domains, problems);
        CheckMoe(request.Moe, routedExperts, seed.Config.NumHiddenLayers, problems);
        return (seed, experts);
    }

    /// <summary>Appends problems with k and the MoE layer set for an MoE of <paramref name="n"/> routed experts.</summary>
    public static void CheckMoe(MoeConfig moe, int n, int layers, List<string> problems)
    {
        ArgumentNullException.ThrowIfNull(moe);
        if (n < 1) problems.Add("the MoE would have no routed experts; give at least one expert");
        else if (moe.TopK < 1 || moe.TopK > n)
            problems.Add($"top-k is {moe.TopK} but the MoE has {n} routed experts; k must be between 1 and {n}");
        if (moe.MoeLayers is { } set)
            foreach (var l in set.Where(l => l < 0 || l >= layers))
                problems.Add($"MoE layer {l} does not exist: the model has layers 0 to {layers - 1}");
    }
}
