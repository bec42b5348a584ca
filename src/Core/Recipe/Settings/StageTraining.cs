// The effective training settings of a recipe stage and variant, resolved in this one place: the profile's Training
// section (shared defaults), then the stage's section (Recipe:Stages:<stage>:Training), then, in the stages that train
// the variants (finetune, extend), the variant's section (Recipe:Variants:<variant>:Training); each later section
// replaces the keys it names. The stage's budget (Recipe:SeedSteps, ...) is its Steps and stays where it is: a section
// cannot set Steps. The sections are checked and normalised once (Bind: canonical key names, typed JSON values), so
// that config.resolved.json and the stages' settings.json record the same values the trainer gets.
using System.Reflection;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using PluginMoE.Core.Composition;
using PluginMoE.Core.Training;

namespace PluginMoE.Core.Recipe.Settings;

/// <summary>Per-stage and per-variant <c>Training</c> sections over the shared one.</summary>
public static class StageTraining
{
    /// <summary>The stages that train and so accept a <c>Recipe:Stages:&lt;stage&gt;:Training</c> section, in recipe order.</summary>
    public static IReadOnlyList<string> TrainingStages { get; } = ["train", "seed", "branch", "finetune", "extend", "baselines"];

    /// <summary>The stages that train the variants, where <c>Recipe:Variants:&lt;variant&gt;:Training</c> applies over the stage's section.</summary>
    public static IReadOnlyList<string> VariantStages { get; } = ["finetune", "extend"];

    /// <summary>Every stage name a profile may list (for the message about a section on a stage that does not train).</summary>
    public static IReadOnlyList<string> AllStages { get; } = ["train", "seed", "branch", "embed", "upcycle", "finetune", "extend", "baselines", "evaluate", "report"];

    private static readonly JsonSerializerOptions Values = new() { NumberHandling = JsonNumberHandling.AllowReadingFromString };

    // The profile keys of the Training section (the members a profile may set), by name.
    private static readonly IReadOnlyList<PropertyInfo> Keys = [.. typeof(TrainerOptions).GetProperties(BindingFlags.Public | BindingFlags.Instance)
        .Where(p => p.CanWrite && p.GetIndexParameters().Length == 0 && p.GetCustomAttribute<JsonIgnoreAttribute>() is not { Condition: JsonIgnoreCondition.Always })];

    /// <summary>
    /// The training settings <paramref name="stage"/> trains with (for <paramref name="variant"/>, when the stage trains
    /// variants): <c>Training</c>, then the stage's section, then the variant's. Steps, the seed and the domain sampling
    /// are the stage's to set (its budget, <c>Run:Seed</c>, its mixture).
    /// </summary>
    public static TrainerOptions For(ProfileSettings settings, string stage, string? variant = null)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(stage);
        var options = Apply(settings.Training, settings.Recipe.Stages?.GetValueOrDefault(stage)?.Training);
        if (variant is not null && VariantStages.Contains(stage) && settings.Recipe.Variants.TryGetValue(variant, out var v))
            options = Apply(options, v.Training);
        return options;
    }

    /// <summary>
    /// The sections that apply to <paramref name="stage"/> (and <paramref name="variant"/>), later ones first: where each
    /// key of <see cref="For"/>'s answer differs from <c>Training</c>, which profile key set it.
    /// </summary>
    public static IReadOnlyDictionary<string, string> Sources(ProfileSettings settings, string stage, string? variant = null)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var sources = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var (key, _) in settings.Recipe.Stages?.GetValueOrDefault(stage)?.Training ?? [])
            sources[key] = $"{RecipeSettings.SectionName}:Stages:{stage}:Training:{key}";
        if (variant is not null && VariantStages.Contains(stage) && settings.Recipe.Variants.TryGetValue(variant, out var v))
            foreach (var (key, _) in v.Training ?? [])
                sources[key] = $"{RecipeSettings.SectionName}:Variants:{variant}:Training:{key}";
        return sources;
    }

    /// <summary>
    /// The console notice for a warmup that a stage's or variant's section sets longer than the steps the stage trains
    /// for (its budget), which the trainer clamps to the budget (<see cref="TrainerOptions.EffectiveWarmupSteps"/>)
    /// as it clamps <c>Training:WarmupSteps</c> to <c>Training:Steps</c> (<see cref="TrainerOptions.Notices"/>); null when
    /// nothing is clamped or the warmup is the shared section's.
    /// </summary>
    /// <param name="settings">The profile.</param>
    /// <param name="stage">The training stage.</param>
    /// <param name="variant">The variant being trained, or null.</param>
    /// <param name="effective">The options the stage trains with (<see cref="For"/> with the budget as Steps).</param>
    public static string? WarmupNotice(ProfileSettings settings, string stage, string? variant, TrainerOptions effective)
    {
        ArgumentNullException.ThrowIfNull(effective);
        if (effective.WarmupSteps is not { } w || w <= effective.Steps || effective.Steps <= 0) return null;
        if (!Sources(settings, stage, variant).TryGetValue(nameof(TrainerOptions.WarmupSteps), out var key)) return null;
        string section = key[..key.LastIndexOf(':')];
        return $"{key} ({w}) is longer than the {stage} stage's budget of {effective.Steps} steps ({BudgetKey(settings, stage, variant)}); " +
            $"warming up over all {effective.Steps} steps instead (set {section}:WarmupFraction, e.g. 0.1, to warm up over a share of the budget)";
    }

    // The profile key(s) of a stage's budget, for messages.
    private static string BudgetKey(ProfileSettings settings, string stage, string? variant) => stage switch
    {
        "finetune" when variant is not null && settings.Recipe.Variants.GetValueOrDefault(variant)?.FinetuneSteps is not null =>
            $"{RecipeSettings.SectionName}:Variants:{variant}:FinetuneSteps",
        "train" => "Training:Steps",
        "seed" => $"{RecipeSettings.SectionName}:SeedSteps",
        "branch" => $"{RecipeSettings.SectionName}:BranchSteps",
        "extend" when variant is null => $"{RecipeSettings.SectionName}:Extend:BranchSteps",
        "extend" => $"{RecipeSettings.SectionName}:Extend:Budgets",
        "baselines" => $"{RecipeSettings.SectionName}:BranchSteps x domains + {RecipeSettings.SectionName}:FinetuneSteps",
        _ => $"{RecipeSettings.SectionName}:FinetuneSteps",
    };

    /// <summary>
    /// One line per training stage of <c>Run:Stages</c> (and per variant with its own section, in finetune and extend, or its
    /// own finetune budget) saying what it trains with where that differs from <c>Training</c>, and which key set each value;
    /// for <c>pluginmoe config</c>.
    /// </summary>
    public static IReadOnlyList<string> Describe(ProfileSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var lines = new List<string>();
        var shared = JsonSerializer.SerializeToNode(settings.Training)!.AsObject();
        void Add(string stage, string? variant)
        {
            var effective = JsonSerializer.SerializeToNode(For(settings, stage, variant))!.AsObject();
            var sources = Sources(settings, stage, variant);
            string what = variant is null ? stage : $"{stage}, variant {variant}";
            var changed = sources.Keys.Select(k => $"{k}={effective[k]?.ToJsonString() ?? "null"} ({sources[k]})").ToList();
            // A variant's own finetune budget (Recipe:Variants:<v>:FinetuneSteps) is the Steps it trains for there.
            if (stage == "finetune" && variant is not null && settings.Recipe.Variants[variant].FinetuneSteps is { } steps)
                changed.Insert(0, $"Steps={steps} ({RecipeSettings.SectionName}:Variants:{variant}:FinetuneSteps)");
            lines.Add($"training ({what}): " + (changed.Count == 0 ? "the Training section" : $"{string.Join(", ", changed)}; every other key from Training"));
        }
        foreach (var stage in settings.Run.Stages.Where(s => TrainingStages.Contains(s, StringComparer.Ordinal)))
        {
            Add(stage, null);
            if (VariantStages.Contains(stage))
                foreach (var (name, v) in settings.Recipe.Variants.Where(v => v.Value.Training is { Count: > 0 } || (stage == "finetune" && v.Value.FinetuneSteps is not null)))
                    Add(stage, name);
        }
        return lines;
    }

    /// <summary><paramref name="options"/> with the keys of a normalised section (see <see cref="Bind"/>) replaced by its values.</summary>
    public static TrainerOptions Apply(TrainerOptions options, JsonObject? section)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (section is null || section.Count == 0) return options;
        var copy = options with { };
        foreach (var (key, node) in section)
        {
            var property = Keys.FirstOrDefault(p => p.Name == key)
                ?? throw new ArgumentException($"'{key}' is not a Training key; normalise the section with {nameof(StageTraining)}.{nameof(Bind)} first", nameof(section));
            property.SetValue(copy, node?.Deserialize(property.PropertyType, Values));
        }
        return copy;
    }

    /// <summary>
    /// The resolved configuration (config.resolved.json) as <paramref name="stage"/> sees it: its <c>Training</c> object is
    /// the stage's effective one (the stage's section applied; variant sections stay where they are in <c>Recipe</c>).
    /// Without a section for the stage this is <paramref name="resolved"/> itself, so the recorded settings of profiles
    /// without sections are what they were.
    /// </summary>
    public static JsonObject ResolvedFor(JsonObject resolved, string stage)
    {
        ArgumentNullException.ThrowIfNull(resolved);
        if (resolved[RecipeSettings.SectionName]?["Stages"]?[stage]?["Training"] is not JsonObject section || section.Count == 0) return resolved;
        var copy = (JsonObject)resolved.DeepClone();
        var training = copy[TrainerOptions.SectionName] as JsonObject ?? [];
        foreach (var (key, node) in section) training[key] = node?.DeepClone();
        copy[TrainerOptions.SectionName] = training;
        return copy;
    }

    /// <summary>
    /// Checks the profile's stage and variant sections (<c>Recipe:Stages</c>, <c>Recipe:Variants:&lt;v&gt;:Training</c>) and
    /// replaces each by its normalised form (the key names of the Training section, values typed as the trainer reads
    /// them). Problems are appended to <paramref name="errors"/> with the profile key and what would work. Range checks of
    /// the effective values are the caller's (the host words them like every other section's).
    /// </summary>
    public static void Bind(RecipeSettings recipe, List<string> errors)
    {
        ArgumentNullException.ThrowIfNull(recipe);
        ArgumentNullException.ThrowIfNull(errors);
        string root = RecipeSettings.SectionName;
        foreach (var (stage, section) in recipe.Stages ?? [])
        {
            string path = $"{root}:Stages:{stage}";
            if (!TrainingStages.Contains(stage, StringComparer.Ordinal))
            {
                string known = AllStages.Contains(stage, StringComparer.OrdinalIgnoreCase) ? $"the {stage} stage does not train" : "unknown stage";
                errors.Add($"{path}: {known}; a Training section is accepted for the stages that train: {string.Join(", ", TrainingStages)}{NameSuggestions.Hint(stage, TrainingStages)}");
                continue;
            }
            section.Training = Normalise(section.Training, $"{path}:Training", stage, errors);
        }
        foreach (var (name, variant) in recipe.Variants)
            variant.Training = Normalise(variant.Training, $"{root}:Variants:{name}:Training", null, errors);
    }

    /// <summary>Why <paramref name="key"/> may not be set in the section of <paramref name="stage"/> (null: a variant's section), or null when it may.</summary>
    public static string? Refusal(string key, string? stage)
    {
        ArgumentNullException.ThrowIfNull(key);
        string where = stage is null ? "a variant's Training section" : $"the {stage} stage's Training section";
        return key switch
        {
            nameof(TrainerOptions.Steps) => $"a stage's steps are its budget: {Budget(stage)}",
            nameof(TrainerOptions.SequenceLength) => "every stage trains and evaluates on the same windows (the data is split by it); set Training:SequenceLength",
            nameof(TrainerOptions.CheckpointEvery) or nameof(TrainerOptions.KeepCheckpoints) when stage != "train" =>
                $"only the train stage writes resumable checkpoints; remove it from {where}",
            nameof(TrainerOptions.DomainWeights) when stage != "train" =>
                $"the recipe's stages choose their own mixture (token counts; extend: Recipe:Extend's mix); remove it from {where}",
            nameof(TrainerOptions.EvalEvery) or nameof(TrainerOptions.EvalBatchSize) when stage is "seed" or "branch" or "extend" =>
                $"the {stage} stage trains without a validation set, so its trainer never evaluates; set it for train, finetune, baselines or a variant",
            _ => null,
        };
    }

    private static string Budget(string? stage) => stage switch
    {
        "train" => "set Training:Steps",
        "seed" => "set Recipe:SeedSteps",
        "branch" => "set Recipe:BranchSteps",
        "finetune" => "set Recipe:FinetuneSteps (the same for every variant: compute-matched), or a variant's own Recipe:Variants:<variant>:FinetuneSteps",
        "extend" => "set Recipe:Extend:Budgets (and Recipe:Extend:BranchSteps for the new expert)",
        "baselines" => "the dense baseline's steps follow from Recipe:BranchSteps x domains + Recipe:FinetuneSteps (data-matched)",
        _ => "set Recipe:FinetuneSteps (the same for every variant: compute-matched), or the variant's own Recipe:Variants:<variant>:FinetuneSteps",
    };

    private static JsonObject? Normalise(JsonObject? section, string path, string? stage, List<string> errors)
    {
        if (section is null) return null;
        var names = Keys.Select(p => p.Name).Where(n => Refusal(n, stage) is null).ToList();
        var normalised = new JsonObject();
        foreach (var (key, node) in section)
        {
            var property = Keys.FirstOrDefault(p => string.Equals(p.Name, key, StringComparison.OrdinalIgnoreCase));
            if (property is null)
            {
                errors.Add($"{path}:{key}: unknown setting; {path} accepts {string.Join(", ", names)}{NameSuggestions.Hint(key, names)}");
                continue;
            }
            if (Refusal(property.Name, stage) is { } why)
            {
                errors.Add($"{path}:{key}: not allowed here: {why}");
                continue;
            }
            object? value;
            try
            {
                value = node?.Deserialize(property.PropertyType, Values);
                if (value is null && property.PropertyType.IsValueType && Nullable.GetUnderlyingType(property.PropertyType) is null) throw new JsonException("no value");
                if (value is double d && !double.IsFinite(d)) throw new JsonException("not finite");
            }
            catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException or NotSupportedException)
            {
                errors.Add($"{path}:{key}: value {Show(node)} is not allowed: expected {Expected(property.PropertyType)}");
                continue;
            }
            normalised[property.Name] = value is null ? null : JsonSerializer.SerializeToNode(value, property.PropertyType);
        }
        return normalised;
    }

    private static string Show(JsonNode? node) => node switch
    {
        null => "(empty)",
        JsonValue v when v.TryGetValue<string>(out var s) => $"'{s}'",
        _ => node.ToJsonString(),
    };

    private static string Expected(Type type) => (Nullable.GetUnderlyingType(type) ?? type) switch
    {
        var t when t == typeof(int) || t == typeof(long) => "a whole number",
        var t when t == typeof(double) => "a finite number such as 0.001 or 1e-3",
        _ => "domain names with a weight each, e.g. DomainWeights:books=2",
    };
}
