// The recipe's extension settings (profile section "Recipe:Extend"; Nexus, arXiv 2408.15901, "Extending with a new
// expert"): the new domain, which the seed/branch/embed/upcycle/finetune/baselines stages hold out of the initial
// mixture, the new expert's branch steps, the small finetuning budgets, the new/old mixing share, lambda, and which
// finetuned variants are extended (by default every variant, each with the router options it was built with).
using System.Text.Json.Nodes;

namespace PluginMoE.Core.Recipe;

/// <summary>How the recipe's <c>extend</c> stage adds a new-domain expert to every finetuned variant.</summary>
public sealed class ExtendSettings
{
    /// <summary>
    /// The new domain: a domain of the data (e.g. a key of <c>Data:LoaderOptions:Domains</c>) that every stage before
    /// <c>extend</c> leaves out (training, validation, embeddings and the tokenizer's training text alike).
    /// </summary>
    public string? Domain { get; set; }

    /// <summary>Optimizer steps of the new dense expert, branched from the seed, on the new domain; null: <c>Recipe:BranchSteps</c>.</summary>
    public long? BranchSteps { get; set; }

    /// <summary>Finetuning budgets in optimizer steps: each extended variant is finetuned separately for each (0: evaluated as extended).</summary>
    public long[] Budgets { get; set; } = [0, 50, 150];

    /// <summary>Sampling share of the new domain while finetuning; the old domains share the rest in their usual proportions.</summary>
    public double NewShare { get; set; } = 0.5;

    /// <summary>Weight of the new expert's non-FFN parameters, <c>(1 - Lambda) * phi_moe + Lambda * phi_new</c>; null: 1/(n+1).</summary>
    public double? Lambda { get; set; }

    /// <summary>Merge strategy plugin that extends (default <c>extend</c>).</summary>
    public string Merge { get; set; } = "extend";

    /// <summary>
    /// The extensions, by name: which finetuned variant each starts from and router options to change before extending
    /// (e.g. the linear router's <c>ExtendMode</c>: <c>reset</c> or <c>expand</c>). Empty: every variant, as built.
    /// </summary>
    public Dictionary<string, ExtendVariantSettings> Variants { get; set; } = new(StringComparer.Ordinal);

    /// <summary>Name of the extension that relative new-domain numbers divide by; null: the one named like the recipe's reference variant, else the first (by name) built from it.</summary>
    public string? Reference { get; set; }

    /// <summary>The extensions to build: <see cref="Variants"/>, or one per recipe variant (same name) when it is empty.</summary>
    public IReadOnlyList<(string Name, string From, JsonObject? RouterOptions)> Extensions(IEnumerable<string> variants) =>
        Variants.Count == 0
            ? [.. variants.Select(v => (v, v, (JsonObject?)null))]
            : [.. Variants.Select(kv => (kv.Key, kv.Value.From ?? kv.Key, kv.Value.RouterOptions))];

    /// <summary>The sampling weights of the finetuning mixture: <see cref="NewShare"/> for the new domain, the rest over the old domains in proportion to <paramref name="oldWeights"/>.</summary>
    public Dictionary<string, double> MixtureWeights(IReadOnlyDictionary<string, double> oldWeights)
    {
        ArgumentNullException.ThrowIfNull(oldWeights);
        double total = oldWeights.Values.Sum();
        var weights = oldWeights.ToDictionary(kv => kv.Key, kv => total > 0 ? (1 - NewShare) * kv.Value / total : 0, StringComparer.Ordinal);
        weights[Domain!] = NewShare;
        return weights;
    }

    /// <summary>Problems with these settings, each naming its key under <c>Recipe:Extend</c>; <paramref name="variants"/> are the recipe's variant names.</summary>
    public IEnumerable<string> Problems(IReadOnlyCollection<string> variants)
    {
        ArgumentNullException.ThrowIfNull(variants);
        if (string.IsNullOrWhiteSpace(Domain))
            yield return "Extend:Domain: required: the new domain, one of the data's domains that the stages before extend hold out (e.g. a key of Data:LoaderOptions:Domains)";
        if (BranchSteps is < 1)
            yield return $"Extend:BranchSteps: {BranchSteps} is not allowed: at least 1 (or leave it out for Recipe:BranchSteps)";
        if (Budgets.Length == 0)
            yield return "Extend:Budgets: at least one budget is required, e.g. [0, 50, 150] (finetuning steps after extension)";
        foreach (var b in Budgets.Where(b => b < 0))
            yield return $"Extend:Budgets: {b} is not allowed: budgets are finetuning steps, 0 or more";
        if (Budgets.Distinct().Count() != Budgets.Length)
            yield return $"Extend:Budgets: [{string.Join(", ", Budgets)}] repeats a budget; give each once";
        if (!(NewShare > 0 && NewShare <= 1))
            yield return $"Extend:NewShare: {NewShare} is not allowed: the new domain's sampling share, above 0 and at most 1 (default 0.5)";
        if (Lambda is { } l && !(l >= 0 && l <= 1))
            yield return $"Extend:Lambda: {l} is not allowed: 0 to 1 (or leave it out for 1/(n+1))";
        if (string.IsNullOrWhiteSpace(Merge))
            yield return "Extend:Merge: required: the merge strategy plugin that extends (extend)";
        if (Reference is { } r && !Extensions(variants).Any(e => e.Name == r))
            yield return $"Extend:Reference: '{r}' is not an extension; the extensions are {string.Join(", ", Extensions(variants).Select(e => e.Name))}";
        foreach (var (name, e) in Variants)
            if (!variants.Contains(e.From ?? name))
                yield return $"Extend:Variants:{name}:From: '{e.From ?? name}' is not a variant of Recipe:Variants; the variants are {string.Join(", ", variants)}";
    }
}

/// <summary>One extension: the finetuned variant it starts from and the router options changed before extending.</summary>
public sealed class ExtendVariantSettings
{
    /// <summary>Name of the finetuned variant (in <c>Recipe:Variants</c>) to extend; null: the extension's own name.</summary>
    public string? From { get; set; }

    /// <summary>Router options merged over the variant's own before extending (e.g. <c>{"ExtendMode": "expand"}</c> for the linear router).</summary>
    public JsonObject? RouterOptions { get; set; }
}
