// Extending an MoE with one new dense domain expert (Nexus, arXiv 2408.15901, Sec. "Extending"): the new
// model's FFN is appended as routed expert n of every MoE layer, every non-FFN parameter (and the FFN of any
// dense layer) becomes (1 - lambda) * phi_moe + lambda * phi_new with lambda = 1/(n+1) by default, the new
// domain embedding is appended, and the router tensors are passed through: the host then calls the router
// plugin's AddExperts (nexus: no new parameters; linear: reset or expand).
using System.Globalization;
using PluginMoE.Abstractions.Checkpoints;
using PluginMoE.Abstractions.Merging;
using PluginMoE.Tensors;
using static PluginMoE.Tensors.torch;

namespace PluginMoE.Plugins.Mergers;

/// <summary>The extension shared by the strategies that build MoEs.</summary>
internal static class Extension
{
    /// <summary>Validates every input, then builds the n + 1 expert checkpoint.</summary>
    /// <param name="request">The MoE and the new expert.</param>
    /// <param name="lambda">Weight of the new model in the mix; null for 1/(n+1).</param>
    /// <param name="strategy">Strategy name for messages.</param>
    public static ModelCheckpoint Extend(ExtendRequest request, double? lambda, string strategy)
    {
        ArgumentNullException.ThrowIfNull(request);
        var domain = request.NewExpert.Domain;
        var moe = new MergeInput("MoE", request.Moe);
        var added = new MergeInput($"new expert '{domain}'", request.NewExpert.Checkpoint);
        var problems = new List<string>();
        if (moe.Config.Moe is not { } m)
        {
            problems.Add($"{moe.Display}: is a dense checkpoint; extension appends an expert to an MoE (build one first with pluginmoe merge)");
            InputChecks.ThrowIfAny(problems, strategy);
            return null!;
        }
        int n = m.NumExperts;
        double l = lambda ?? 1.0 / (n + 1);
        if (!(l >= 0 && l <= 1))
            problems.Add(string.Create(CultureInfo.InvariantCulture, $"lambda is {l}; the mixing weight of the new expert must be between 0 and 1"));
        InputChecks.Dense(added, problems, "the new expert must be a dense model trained from the seed");
        int before = problems.Count;
        InputChecks.SameArchitecture(moe, added, problems, compareFfnWidth: false);
        if (problems.Count == before) CheckTensors(moe, added, m, problems);
        var domains = m.Domains.Count == n ? m.Domains.Append(domain).ToList() : null;
        if (domains is not null) InputChecks.DistinctDomains(domains, problems);
        else if (string.IsNullOrWhiteSpace(domain)) problems.Add("the new expert's domain name is empty");
        var embeddings = NewEmbeddings(moe, request.NewExpert, problems);
        InputChecks.ThrowIfAny(problems, strategy);

        var tensors = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var name in moe.Names)
        {
            int layer = FfnNames.FfnLayer(name);
            if (FfnNames.IsShared(name) || (layer >= 0 && !m.IsMoeLayer(layer)))
                tensors[name] = Averaging.Mix(moe.Read(name), added.Read(name), l);   // phi = (1 - lambda) phi_moe + lambda phi_new
            else if (name != CanonicalNames.DomainEmbeddings)
                tensors[name] = moe.Read(name);                                       // experts, shared expert, router, extras
        }
        if (embeddings is not null) tensors[CanonicalNames.DomainEmbeddings] = embeddings;
        for (int i = 0; i < moe.Config.NumHiddenLayers; i++)
        {
            if (!m.IsMoeLayer(i)) continue;
            var mlp = CanonicalNames.Mlp(i);
            foreach (var rel in FfnNames.DenseFfn(added, i))
                tensors[CanonicalNames.Expert(i, n) + rel] = added.Read(mlp + rel);    // the new FFN, unchanged, as expert n
        }
        var grown = moe.Config.WithMoreExperts(1);
        var config = grown with { Moe = grown.Moe! with { Domains = domains ?? m.Domains } };
        return new ModelCheckpoint(config, tensors) { HuggingFace = moe.Checkpoint.HuggingFace }; // routers are passed through
    }

    /// <summary>Non-FFN tensors must match the MoE's; the new FFN must match routed expert 0 of every MoE layer.</summary>
    private static void CheckTensors(MergeInput moe, MergeInput added, MoeConfig m, List<string> problems)
    {
        InputChecks.SameTensors(moe, added, problems, name =>
        {
            if (FfnNames.IsShared(name)) return true;
            int layer = FfnNames.FfnLayer(name);
            return layer >= 0 && !m.IsMoeLayer(layer);
        });
        // The new FFN must match the routed experts of the model's own expert plugin (with expert groups, expert 0 may be another kind).
        int reference = Enumerable.Range(0, m.NumExperts).FirstOrDefault(j => moe.Config.RoutedExpert(j).Expert == moe.Config.ExpertType, -1);
        if (reference < 0)
        {
            problems.Add($"{moe.Display}: none of its routed experts is a '{moe.Config.ExpertType}' expert, so a dense FFN has no counterpart to join");
            return;
        }
        for (int i = 0; i < moe.Config.NumHiddenLayers; i++)
        {
            if (!m.IsMoeLayer(i)) continue;
            var expert0 = CanonicalNames.Expert(i, reference);
            var want = moe.Names.Where(x => x.StartsWith(expert0, StringComparison.Ordinal)).Select(x => x[expert0.Length..]).ToHashSet(StringComparer.Ordinal);
            var mlp = CanonicalNames.Mlp(i);
            foreach (var rel in FfnNames.DenseFfn(added, i))
            {
                if (!want.Remove(rel))
                {
                    problems.Add($"{added.Display}: tensor '{mlp + rel}' has no counterpart in the MoE's experts (routed expert {reference} of layer {i} has {string.Join(", ", moe.Names.Where(x => x.StartsWith(expert0, StringComparison.Ordinal)))})");
                    continue;
                }
                var a = moe.ShapeOf(expert0 + rel);
                var b = added.ShapeOf(mlp + rel);
                if (!a.SequenceEqual(b))
                    problems.Add($"{added.Display}: tensor '{mlp + rel}' has shape {MergeInput.Format(b)} but the MoE's routed experts have {MergeInput.Format(a)} ('{expert0 + rel}' in {moe.Display}); the new FFN must have the experts' width");
            }
            foreach (var rel in want.Order(StringComparer.Ordinal))
                problems.Add($"{added.Display}: tensor '{mlp + rel}' is missing (the MoE's routed experts have '{expert0 + rel}')");
        }
    }

    /// <summary>The MoE's (n, m) domain embeddings with the new expert's appended, or null when the MoE has none.</summary>
    private static Tensor? NewEmbeddings(MergeInput moe, ExpertSource added, List<string> problems)
    {
        if (!moe.Has(CanonicalNames.DomainEmbeddings))
        {
            if (added.DomainEmbedding is not null)
                problems.Add($"{moe.Display}: has no domain embeddings ({CanonicalNames.DomainEmbeddings}), so the new expert's embedding has nowhere to go; its router does not route by domain embeddings");
            return null;
        }
        var shape = moe.ShapeOf(CanonicalNames.DomainEmbeddings);
        if (added.DomainEmbedding is not { } e)
        {
            problems.Add($"{moe.Display}: routes by domain embeddings ({MergeInput.Format(shape)}), so the new expert '{added.Domain}' needs one (an (m) vector from the same embedder; pluginmoe extend --embedding FILE)");
            return null;
        }
        var row = InputChecks.Row(e, $"new expert '{added.Domain}'", problems);
        if (row is null) return null;
        if (shape.Length != 2 || row.size(0) != shape[1])
        {
            problems.Add($"new expert '{added.Domain}': domain embedding has width {row.size(0)} but the MoE's embeddings are {MergeInput.Format(shape)}; use the embedder that made them");
            return null;
        }
        var old = moe.Read(CanonicalNames.DomainEmbeddings);
        return cat([old, row.to(old.dtype).unsqueeze(0)], 0);                         // (n + 1, m)
    }
}
