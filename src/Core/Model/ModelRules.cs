// Every architecture rule of a ModelConfig, in one place: the ranges of each size, the divisibility that attention
// and rotary embeddings need, and the MoE rules (top-k, MoE layers, expert groups, domains). The profile's Model
// section (ModelOptions.Validate) and every model construction (TransformerLM, so also a checkpoint from another
// tool) check with these rules; only the key names differ, given by a ModelKeyNames.
using System.Globalization;
using PluginMoE.Abstractions.Checkpoints;

namespace PluginMoE.Core.Model;

/// <summary>One broken rule: the key (as the caller's naming spells it), the value and what would work.</summary>
/// <param name="Key">Key of the offending setting, e.g. <c>Heads</c> or <c>Moe:TopK</c> (profile) or <c>NumAttentionHeads</c> (config).</param>
/// <param name="Value">The value, as text.</param>
/// <param name="Why">What is allowed, naming other keys the same way.</param>
public sealed record ModelProblem(string Key, string Value, string Why)
{
    /// <summary>"Key: value V is not allowed: why".</summary>
    public override string ToString() => $"{Key}: value {Value} is not allowed: {Why}";
}

/// <summary>How one form of the model settings names the properties of <see cref="ModelConfig"/>.</summary>
/// <param name="Names">Property path (<c>NumAttentionHeads</c>, <c>Moe.TopK</c>) to this form's key; absent paths keep the property path with <c>:</c>.</param>
/// <param name="GroupsSumHint">Appended to the expert-groups sum rule (e.g. the profile's "or leave it out").</param>
public sealed record ModelKeyNames(IReadOnlyDictionary<string, string> Names, string GroupsSumHint = "")
{
    /// <summary>The names of <see cref="ModelConfig"/> itself (<c>NumAttentionHeads</c>, <c>Moe:NumExperts</c>).</summary>
    public static ModelKeyNames Config { get; } = new(new Dictionary<string, string>(StringComparer.Ordinal));

    /// <summary>
    /// True for a config.json form: keys stay joined with '.' (<c>pluginmoe.moe.top_k</c>) and the property names below a
    /// mapped key are written in snake_case (<c>pluginmoe.moe.expert_groups.0.count</c>); false joins with ':'.
    /// </summary>
    public bool JsonKeys { get; init; }

    /// <summary>This form's key of a property path (group items as <c>Moe.ExpertGroups.0.Count</c>).</summary>
    public string this[string path]
    {
        get
        {
            foreach (var (from, to) in Names.OrderByDescending(kv => kv.Key.Length))
                if (path == from || path.StartsWith(from + ".", StringComparison.Ordinal))
                    return JsonKeys ? to + SnakeCase(path[from.Length..]) : (to + path[from.Length..]).Replace('.', ':');
            return JsonKeys ? SnakeCase(path) : path.Replace('.', ':');
        }
    }

    // "ExpertGroups.0.Count" -> "expert_groups.0.count".
    private static string SnakeCase(string path) =>
        string.Concat(path.Select((ch, i) => char.IsUpper(ch) ? (i > 0 && path[i - 1] != '.' ? "_" : "") + char.ToLowerInvariant(ch) : ch.ToString()));
}

/// <summary>The architecture rules of <see cref="ModelConfig"/>.</summary>
public static class ModelRules
{
    /// <summary>Largest sizes accepted (beyond them sizes overflow or no machine holds the model).</summary>
    public const int MaxVocab = 1 << 24, MaxWidth = 1 << 20, MaxHidden = 1 << 16, MaxLayers = 1024, MaxHeads = 1024, MaxPositions = 1 << 24, MaxExperts = 4096;

    /// <summary>Every broken rule of <paramref name="c"/>, keyed by <paramref name="names"/>; empty when the architecture is valid.</summary>
    public static IReadOnlyList<ModelProblem> Check(ModelConfig c, ModelKeyNames names)
    {
        ArgumentNullException.ThrowIfNull(c);
        ArgumentNullException.ThrowIfNull(names);
        var problems = new List<ModelProblem>();
        var reported = new HashSet<string>(StringComparer.Ordinal);
        void Add(string path, object? value, string why)
        {
            reported.Add(path);
            problems.Add(new ModelProblem(names[path], Show(value), why));
        }
        void Range(string path, double value, double min, double max)
        {
            if (!(value >= min && value <= max)) Add(path, value, $"allowed values are {Show(min)} to {Show(max)}");
        }
        string N(string path) => names[path];

        Range(nameof(c.VocabSize), c.VocabSize, 2, MaxVocab);
        Range(nameof(c.HiddenSize), c.HiddenSize, 2, MaxHidden);
        Range(nameof(c.IntermediateSize), c.IntermediateSize, 1, MaxWidth);
        Range(nameof(c.NumHiddenLayers), c.NumHiddenLayers, 1, MaxLayers);
        Range(nameof(c.NumAttentionHeads), c.NumAttentionHeads, 1, MaxHeads);
        Range(nameof(c.NumKeyValueHeads), c.NumKeyValueHeads, 1, MaxHeads);
        Range(nameof(c.MaxPositionEmbeddings), c.MaxPositionEmbeddings, 2, MaxPositions);
        Range(nameof(c.RmsNormEps), c.RmsNormEps, 1e-12, 0.1);
        Range(nameof(c.RopeTheta), c.RopeTheta, 1, 1e9);
        if (string.IsNullOrWhiteSpace(c.ExpertType)) Add(nameof(c.ExpertType), c.ExpertType, "a value is required: the expert plugin of every FFN, e.g. swiglu");

        // The checks that divide by a head count run only when that count is in range (it is reported above otherwise).
        int heads = c.NumAttentionHeads, kv = c.NumKeyValueHeads;
        if (!reported.Contains(nameof(c.NumAttentionHeads)) && !reported.Contains(nameof(c.HiddenSize)))
        {
            if (c.HiddenSize % heads != 0)
                Add(nameof(c.HiddenSize), c.HiddenSize, $"must be a multiple of {N(nameof(c.NumAttentionHeads))} ({heads})");
            else if (c.HiddenSize / heads % 2 != 0)
                Add(nameof(c.HiddenSize), c.HiddenSize, $"{N(nameof(c.HiddenSize))} / {N(nameof(c.NumAttentionHeads))} (the head width, {c.HiddenSize / heads}) must be even for rotary embeddings");
        }
        if (!reported.Contains(nameof(c.NumAttentionHeads)) && !reported.Contains(nameof(c.NumKeyValueHeads)) && heads % kv != 0)
            Add(nameof(c.NumKeyValueHeads), kv, $"must divide {N(nameof(c.NumAttentionHeads))} ({heads})");

        if (c.Moe is { } m) CheckMoe(c, m, names, Add, Range);
        return problems;
    }

    private static void CheckMoe(ModelConfig c, MoeConfig m, ModelKeyNames names, Action<string, object?, string> add, Action<string, double, double, double> range)
    {
        const string Moe = nameof(ModelConfig.Moe);
        string experts = $"{Moe}.{nameof(m.NumExperts)}";
        range(experts, m.NumExperts, 1, MaxExperts);
        if (string.IsNullOrWhiteSpace(m.Router)) add($"{Moe}.{nameof(m.Router)}", m.Router, "a value is required: the router plugin, e.g. linear");
        if (m.TopK < 1) add($"{Moe}.{nameof(m.TopK)}", m.TopK, "must be at least 1");
        else if (m.NumExperts >= 1 && m.TopK > m.NumExperts) add($"{Moe}.{nameof(m.TopK)}", m.TopK, $"must be at most {names[experts]} ({m.NumExperts})");
        if (m.ExpertIntermediateSize is { } width) range($"{Moe}.{nameof(m.ExpertIntermediateSize)}", width, 1, MaxWidth);
        if (m.SharedExpertIntermediateSize is { } shared) range($"{Moe}.{nameof(m.SharedExpertIntermediateSize)}", shared, 0, MaxWidth);
        range($"{Moe}.{nameof(m.LoadBalanceWeight)}", m.LoadBalanceWeight, 0, 10);
        range($"{Moe}.{nameof(m.RouterZLossWeight)}", m.RouterZLossWeight, 0, 10);
        foreach (var layer in m.MoeLayers ?? [])
            if (layer < 0 || layer >= c.NumHiddenLayers)
                add($"{Moe}.{nameof(m.MoeLayers)}", layer, $"layer {layer} does not exist; layers are 0 to {c.NumHiddenLayers - 1} ({names[nameof(c.NumHiddenLayers)]} is {c.NumHiddenLayers})");
        if (m.ExpertGroups is { Count: > 0 } groups)
        {
            string key = $"{Moe}.{nameof(m.ExpertGroups)}";
            for (int g = 0; g < groups.Count; g++)
            {
                if (string.IsNullOrWhiteSpace(groups[g].Expert))
                    add($"{key}.{g}.{nameof(ExpertGroup.Expert)}", groups[g].Expert, "a value is required: the expert plugin of the group, e.g. swiglu or null");
                if (groups[g].Count < 1)
                    add($"{key}.{g}.{nameof(ExpertGroup.Count)}", groups[g].Count, "a group has at least 1 expert");
            }
            int sum = groups.Sum(g => Math.Max(g.Count, 0));
            if (groups.All(g => g.Count >= 1) && sum != m.NumExperts)
                add(experts, m.NumExperts,
                    $"{names[key]} hold {TransformerLM.Groups(groups)} = {sum} experts; set {names[experts]} to {sum}{names.GroupsSumHint}");
        }
        if (m.Domains.Count > 0 && m.Domains.Count != m.NumExperts)
            add($"{Moe}.{nameof(m.Domains)}", m.Domains.Count, $"names {m.Domains.Count} domains for {m.NumExperts} experts ({names[experts]}); give one per expert or none");
    }

    private static string Show(object? value) => value switch
    {
        null => "(empty)",
        string s => $"'{s}'",
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "",
    };
}
