// Validation every strategy runs before it reads a tensor: same architecture and tensor shapes (a mismatch
// names both checkpoints, the tensor and both shapes), dense where dense is needed, distinct domain names,
// consistent domain embeddings. All problems are collected and reported together.
using System.Globalization;
using PluginMoE.Abstractions.Merging;
using PluginMoE.Tensors;

namespace PluginMoE.Plugins.Mergers;

/// <summary>Input checks shared by the strategies.</summary>
internal static class InputChecks
{
    /// <summary>Appends a problem for every architecture field where <paramref name="other"/> differs from <paramref name="reference"/>.</summary>
    /// <param name="reference">The checkpoint the others must match (the seed, or the MoE being extended).</param>
    /// <param name="other">The checkpoint checked.</param>
    /// <param name="problems">Where problems are collected.</param>
    /// <param name="compareFfnWidth">False when the FFN widths are compared tensor by tensor instead (extension).</param>
    public static void SameArchitecture(MergeInput reference, MergeInput other, List<string> problems, bool compareFfnWidth = true)
    {
        var a = reference.Config;
        var b = other.Config;
        void Compare<T>(string key, T x, T y)
        {
            if (!EqualityComparer<T>.Default.Equals(x, y))
                problems.Add(string.Create(CultureInfo.InvariantCulture,
                    $"{other.Display}: config {key} is {y} but {reference.Display} has {x}; every input must have the same architecture"));
        }
        Compare("vocab_size", a.VocabSize, b.VocabSize);
        Compare("hidden_size", a.HiddenSize, b.HiddenSize);
        if (compareFfnWidth) Compare("intermediate_size", a.IntermediateSize, b.IntermediateSize);
        Compare("num_hidden_layers", a.NumHiddenLayers, b.NumHiddenLayers);
        Compare("num_attention_heads", a.NumAttentionHeads, b.NumAttentionHeads);
        Compare("num_key_value_heads", a.NumKeyValueHeads, b.NumKeyValueHeads);
        Compare("tie_word_embeddings", a.TieWordEmbeddings, b.TieWordEmbeddings);
        Compare("rope_theta", a.RopeTheta, b.RopeTheta);
        Compare("rms_norm_eps", a.RmsNormEps, b.RmsNormEps);
        Compare("max_position_embeddings", a.MaxPositionEmbeddings, b.MaxPositionEmbeddings);
        Compare("expert type (pluginmoe.expert_type)", a.ExpertType, b.ExpertType);
    }

    /// <summary>
    /// Appends a problem for every tensor <paramref name="other"/> lacks, has in addition, or has with another shape
    /// than <paramref name="reference"/> (PluginMoE extras such as domain embeddings are not compared).
    /// </summary>
    public static void SameTensors(MergeInput reference, MergeInput other, List<string> problems) =>
        SameTensors(reference, other, problems, n => !n.StartsWith(FfnNames.ExtraPrefix, StringComparison.Ordinal));

    /// <summary>As <see cref="SameTensors(MergeInput, MergeInput, List{string})"/> for the names <paramref name="include"/> accepts.</summary>
    public static void SameTensors(MergeInput reference, MergeInput other, List<string> problems, Func<string, bool> include)
    {
        var mine = other.Names.Where(include).ToHashSet(StringComparer.Ordinal);
        foreach (var name in reference.Names.Where(include).Order(StringComparer.Ordinal))
        {
            if (!mine.Remove(name))
            {
                problems.Add($"{other.Display}: tensor '{name}' is missing ({reference.Display} has it with shape {MergeInput.Format(reference.ShapeOf(name))})");
                continue;
            }
            var want = reference.ShapeOf(name);
            var got = other.ShapeOf(name);
            if (!want.SequenceEqual(got))
                problems.Add($"{other.Display}: tensor '{name}' has shape {MergeInput.Format(got)} but {reference.Display} has {MergeInput.Format(want)}");
        }
        foreach (var name in mine.Order(StringComparer.Ordinal))
            problems.Add($"{other.Display}: tensor '{name}' is not in {reference.Display}");
    }

    /// <summary>Appends a problem when <paramref name="input"/> is an MoE checkpoint.</summary>
    public static void Dense(MergeInput input, List<string> problems, string hint)
    {
        if (input.Config.Moe is { } moe)
            problems.Add($"{input.Display}: is an MoE checkpoint ({moe.NumExperts} experts, router '{moe.Router}'), but a dense model is needed here; {hint}");
    }

    /// <summary>Appends a problem for every empty or repeated domain name (compared case-insensitively).</summary>
    public static void DistinctDomains(IReadOnlyList<string> domains, List<string> problems)
    {
        var seen = new Dictionary<string, int>(StringComparer.OrdinalIgnoreCase);
        for (int j = 0; j < domains.Count; j++)
        {
            if (string.IsNullOrWhiteSpace(domains[j])) { problems.Add($"expert {j}: domain name is empty; every expert needs a domain name"); continue; }
            if (seen.TryGetValue(domains[j], out int first))
                problems.Add($"domain '{domains[j]}' is given twice (experts {first} and {j}); domain names must be distinct");
            else seen[domains[j]] = j;
        }
    }

    /// <summary>
    /// The experts' domain embeddings stacked to (n, m), or null when none has one. Appends problems when only
    /// some have one, when one is not a vector (m) or (1, m), or when widths differ; <paramref name="required"/>
    /// makes a missing embedding a problem too.
    /// </summary>
    public static Tensor? DomainEmbeddings(IReadOnlyList<ExpertSource> experts, List<string> problems, string? required)
    {
        var given = experts.Where(e => e.DomainEmbedding is not null).ToList();
        if (given.Count == 0 && required is null) return null;
        int before = problems.Count;
        var rows = new List<Tensor>();
        long width = -1;
        foreach (var e in experts)
        {
            if (e.DomainEmbedding is not { } t)
            {
                problems.Add($"expert '{e.Domain}': has no domain embedding{(required is null ? " while other experts have one; give one for every expert or for none" : $"; {required}")}");
                continue;
            }
            var row = Row(t, $"expert '{e.Domain}'", problems);
            if (row is null) continue;
            if (width < 0) width = row.size(0);
            else if (row.size(0) != width)
                problems.Add($"expert '{e.Domain}': domain embedding has width {row.size(0)} but expert '{given[0].Domain}' has {width}; all embeddings come from one embedder");
            rows.Add(row);
        }
        return rows.Count == experts.Count && problems.Count == before ? torch.stack([.. rows]) : null;
    }

    /// <summary>A domain embedding as an (m) vector, or null with a problem appended.</summary>
    public static Tensor? Row(Tensor t, string who, List<string> problems)
    {
        if (t.dim() == 1 && t.size(0) > 0) return t;
        if (t.dim() == 2 && t.size(0) == 1 && t.size(1) > 0) return t.reshape(-1);
        problems.Add($"{who}: domain embedding has shape {MergeInput.Format(t.shape)}; expected a vector (m) or (1, m)");
        return null;
    }

    /// <summary>Throws one <see cref="ArgumentException"/> listing every problem, if there are any.</summary>
    public static void ThrowIfAny(List<string> problems, string strategy)
    {
        if (problems.Count == 0) return;
        var head = problems.Count == 1 ? "a problem" : $"{problems.Count} problems";
        throw new ArgumentException($"merge strategy '{strategy}': {head} with the inputs (nothing was merged):\n\t" + string.Join("\n\t", problems));
    }
}
