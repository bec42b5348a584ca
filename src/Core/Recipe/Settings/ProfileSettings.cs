// The settings the recipe's stages read: a profile's Run, Model, Data, Training and Recipe sections, bound and
// validated once by the host, with where they came from (for error messages and relative data paths).
using PluginMoE.Core.Training;

namespace PluginMoE.Core.Recipe.Settings;

/// <summary>The validated recipe settings of one invocation (or of one of its seeds).</summary>
public sealed record ProfileSettings
{
    /// <summary>The Run section.</summary>
    public RunOptions Run { get; init; } = new();

    /// <summary>The Model section.</summary>
    public ModelOptions Model { get; init; } = new();

    /// <summary>The Data section.</summary>
    public DataOptions Data { get; init; } = new();

    /// <summary>The Training section: bound straight onto the trainer's options (the stages add the seed and their budgets).</summary>
    public TrainerOptions Training { get; init; } = new();

    /// <summary>The recipe's budgets and variants (section <c>Recipe</c>).</summary>
    public RecipeSettings Recipe { get; init; } = new();

    /// <summary>Profile name, or <c>default</c> when none was chosen.</summary>
    public string ProfileName { get; init; } = "default";

    /// <summary>The profile file, or null when the settings came from defaults and overrides only.</summary>
    public string? ProfilePath { get; init; }

    /// <summary>Folder that relative data paths resolve against (the profile's folder, else the working directory).</summary>
    public string BaseDirectory { get; init; } = Directory.GetCurrentDirectory();

    /// <summary>These settings for one of the run's seeds: the same sections, with <c>Run:Seed</c> = <paramref name="seed"/> and no <c>Run:Seeds</c>.</summary>
    public ProfileSettings ForSeed(long seed) => this with { Run = Run.ForSeed(seed) };

    /// <summary>"configuration error(s) in profile X (file): a; b".</summary>
    public string Describe(IReadOnlyList<string> errors) => Describe(ProfileName, ProfilePath, errors);

    /// <summary>"configuration error(s) in profile X (file) with its defaults and overrides: a; b", or "... in the settings: ..." without a profile file.</summary>
    public static string Describe(string? profileName, string? profilePath, IReadOnlyList<string> errors)
    {
        ArgumentNullException.ThrowIfNull(errors);
        string where = profilePath is null ? "the settings" : $"profile '{profileName}' ({profilePath}) with its defaults and overrides";
        string noun = errors.Count == 1 ? "a configuration error" : $"{errors.Count} configuration errors";
        return $"{noun} in {where}: {string.Join("; ", errors)}";
    }
}
