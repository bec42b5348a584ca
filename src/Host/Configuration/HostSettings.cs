// Every options section of a run, bound and validated once at start: one ConfigurationException lists all
// problems (key path, value, what is allowed) before any work begins. The recipe's sections go to Core as one
// ProfileSettings; Plugins and Telemetry stay with the host, which composes.
using System.Text.Json.Nodes;
using System.Text.Json;
using Microsoft.Extensions.Configuration;
using PluginMoE.Core.Composition;
using PluginMoE.Core.Recipe;
using PluginMoE.Core.Recipe.Settings;
using PluginMoE.Core.Training;

namespace PluginMoE.Host.Configuration;

/// <summary>The validated settings of one host invocation.</summary>
public sealed class HostSettings
{
    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true };

    /// <summary>Top-level sections the host understands.</summary>
    public static IReadOnlyList<string> KnownSections { get; } =
        [RunOptions.SectionName, PluginsOptions.SectionName, TelemetryOptions.SectionName, ModelOptions.SectionName, DataOptions.SectionName, TrainerOptions.SectionName, RecipeSettings.SectionName];

    private HostSettings(LayeredConfiguration source) => Source = source;

    /// <summary>Where the settings came from.</summary>
    public LayeredConfiguration Source { get; }

    /// <summary>The recipe's sections (Run, Model, Data, Training, Recipe), as the stages read them.</summary>
    public ProfileSettings Profile { get; private init; } = new();

    /// <summary>The Run section.</summary>
    public RunOptions Run => Profile.Run;

    /// <summary>The Plugins section.</summary>
    public PluginsOptions Plugins { get; private init; } = new();

    /// <summary>The Telemetry section.</summary>
    public TelemetryOptions Telemetry { get; private init; } = new();

    /// <summary>The Model section.</summary>
    public ModelOptions Model => Profile.Model;

    /// <summary>The Data section.</summary>
    public DataOptions Data => Profile.Data;

    /// <summary>The Training section.</summary>
    public TrainerOptions Training => Profile.Training;

    /// <summary>The recipe's budgets and variants (section <c>Recipe</c>).</summary>
    public RecipeSettings Recipe => Profile.Recipe;

    /// <summary>Profile name, or <c>default</c> when none was chosen.</summary>
    public string ProfileName => Profile.ProfileName;

    /// <summary>Binds and validates every section of <paramref name="source"/>.</summary>
    /// <exception cref="ConfigurationException">Unknown sections or keys, unparsable or disallowed values; the message lists each with its key path.</exception>
    public static HostSettings Load(LayeredConfiguration source)
    {
        ArgumentNullException.ThrowIfNull(source);
        var errors = new List<string>();
        var settings = Load(source, errors);
        if (errors.Count > 0) throw new ConfigurationException(Describe(source, errors));
        return settings;
    }

    /// <summary>
    /// Binds and validates every section of <paramref name="source"/>, appending each problem to <paramref name="errors"/>
    /// instead of throwing, so that callers can report them together with the problems they find next (plugins, stages).
    /// Settings that failed to bind keep their defaults.
    /// </summary>
    public static HostSettings Load(LayeredConfiguration source, List<string> errors)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(errors);
        var root = source.Root;
        foreach (var section in root.GetChildren())
            if (!KnownSections.Contains(section.Key, StringComparer.OrdinalIgnoreCase))
                errors.Add($"{section.Key}: unknown section; known sections are {string.Join(", ", KnownSections)}{NameSuggestions.Hint(section.Key, KnownSections)}");
        var run = Section<RunOptions>(root, errors);
        var settings = new HostSettings(source)
        {
            Plugins = Section<PluginsOptions>(root, errors),
            Telemetry = Section<TelemetryOptions>(root, errors),
            Profile = new ProfileSettings
            {
                Run = run,
                Model = Section<ModelOptions>(root, errors),
                Data = Section<DataOptions>(root, errors),
                Training = Section<TrainerOptions>(root, errors),
                Recipe = Section<RecipeSettings>(root, errors),
                ProfileName = source.ProfileName ?? "default",
                ProfilePath = source.ProfilePath,
                BaseDirectory = source.BaseDirectory,
            },
        };
        StageSections(settings.Profile, errors);
        if (settings.Training.SequenceLength > settings.Model.MaxPositions)
            errors.Add($"Training:SequenceLength: value {settings.Training.SequenceLength} is not allowed: it must be at most Model:MaxPositions ({settings.Model.MaxPositions})");
        return settings;
    }

    // The per-stage and per-variant Training sections: checked and normalised by Core (StageTraining.Bind), then each
    // effective value a section sets is range-checked like the Training section's own, under the section's key path.
    private static void StageSections(ProfileSettings profile, List<string> errors)
    {
        int before = errors.Count;
        StageTraining.Bind(profile.Recipe, errors);
        if (errors.Count > before) return;
        var sections = (profile.Recipe.Stages ?? []).Select(s => ($"{RecipeSettings.SectionName}:Stages:{s.Key}:Training", s.Value.Training, Options: StageTraining.For(profile, s.Key)))
            .Concat(profile.Recipe.Variants.Select(v => ($"{RecipeSettings.SectionName}:Variants:{v.Key}:Training", v.Value.Training,
                Options: StageTraining.Apply(StageTraining.For(profile, "finetune"), v.Value.Training))));
        foreach (var (path, section, options) in sections)
        {
            if (section is null) continue;
            var problems = new List<string>();
            OptionsValidator.Validate(options, path, problems);
            errors.AddRange(problems.Where(p => section.Any(k => KeyOf(p) == $"{path}:{k.Key}")));
        }
    }

    /// <summary>"configuration error(s) in profile X (file): a; b".</summary>
    public static string Describe(LayeredConfiguration source, IReadOnlyList<string> errors)
    {
        ArgumentNullException.ThrowIfNull(source);
        return ProfileSettings.Describe(source.ProfileName, source.ProfilePath, errors) + source.RemovalNote();
    }

    private static T Section<T>(IConfigurationRoot root, List<string> errors) where T : ISectionOptions, new()
    {
        int before = errors.Count;
        var options = SectionBinder.Bind<T>(root.GetSection(T.SectionName), errors);
        // Values that failed to parse were left at their defaults: validating those would only add noise, but every
        // other setting of the section is still checked, so that all problems are reported at once.
        var failed = errors.Skip(before).Select(KeyOf).ToHashSet(StringComparer.OrdinalIgnoreCase);
        var problems = new List<string>();
        OptionsValidator.Validate(options, T.SectionName, problems);
        errors.AddRange(problems.Where(p => !failed.Contains(KeyOf(p))));
        return options;
    }

    private static string KeyOf(string problem) => problem.Split(": ", 2)[0];

    /// <summary>
    /// The effective configuration as JSON (every section with defaults filled in, plugin options as bound by
    /// their plugins when <paramref name="pluginOptions"/> gives them by key path), for <c>config.resolved.json</c>.
    /// </summary>
    public JsonObject ToResolvedJson(IReadOnlyDictionary<string, object?>? pluginOptions = null)
    {
        var json = new JsonObject
        {
            ["Profile"] = new JsonObject { ["Name"] = ProfileName, ["Path"] = Source.ProfilePath },
            [RunOptions.SectionName] = JsonSerializer.SerializeToNode(Run, Json),
            [PluginsOptions.SectionName] = JsonSerializer.SerializeToNode(Plugins, Json),
            [TelemetryOptions.SectionName] = JsonSerializer.SerializeToNode(Telemetry, Json),
            [ModelOptions.SectionName] = JsonSerializer.SerializeToNode(Model, Json),
            [DataOptions.SectionName] = JsonSerializer.SerializeToNode(Data, Json),
            [TrainerOptions.SectionName] = JsonSerializer.SerializeToNode(Training, Json),
            [RecipeSettings.SectionName] = JsonSerializer.SerializeToNode(Recipe, Json),
        };
        foreach (var (path, value) in pluginOptions ?? new Dictionary<string, object?>())
        {
            var parts = path.Split(':');
            JsonNode? node = json;
            foreach (var p in parts[..^1]) // list items (Model:Moe:ExpertGroups:1:Options) by index
                node = node is JsonArray list ? (int.TryParse(p, out var i) && i >= 0 && i < list.Count ? list[i] : null) : node is JsonObject o ? o[p] : null;
            if (node is JsonObject parent && value is not null) parent[parts[^1]] = JsonSerializer.SerializeToNode(value, value.GetType(), Json);
        }
        return json;
    }
}
