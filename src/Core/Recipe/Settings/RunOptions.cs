// The Run section: which stages a profile runs, its seed (or seeds) and where its run folder goes.
using System.ComponentModel.DataAnnotations;

namespace PluginMoE.Core.Recipe.Settings;

/// <summary>Settings of one <c>pluginmoe run</c>.</summary>
public sealed class RunOptions : ISectionOptions, IValidatableObject
{
    /// <inheritdoc/>
    public static string SectionName => "Run";

    /// <summary>Name used for the run folder (<c>runs/&lt;Name&gt;-&lt;utc-timestamp&gt;</c>); defaults to the profile's name.</summary>
    public string? Name { get; set; }

    /// <summary>Seed of model initialisation and batch sampling.</summary>
    public long Seed { get; set; } = 1;

    /// <summary>
    /// Several seeds: the stages run once per seed, each in its own run folder <c>seed-&lt;s&gt;/</c> inside the run folder,
    /// and the report across seeds (mean and spread) goes to the run folder's <c>report/</c>. Empty: <see cref="Seed"/> alone.
    /// </summary>
    public long[] Seeds { get; set; } = [];

    /// <summary>Stages to run, in order (<c>--stages</c> overrides it).</summary>
    [MinLength(1)]
    public string[] Stages { get; set; } = ["train"];

    /// <summary>Folder that new run folders are created in (relative to the working directory).</summary>
    [Required]
    public string RunsRoot { get; set; } = "runs";

    /// <summary>An explicit run folder (<c>--run-dir</c>); re-using one resumes it.</summary>
    public string? RunDirectory { get; set; }

    /// <summary>
    /// Device the run's tensors live on: <c>cpu</c> (built in), or <c>torch-cpu</c>, <c>cuda</c>, <c>cuda:N</c> through the
    /// LibTorch backend, which is then loaded from <see cref="BackendDirectory"/>.
    /// </summary>
    public string Device { get; set; } = "cpu";

    /// <summary>Folder of the LibTorch backend (PluginMoE.Tensors.Torch.dll and its natives); default <c>backends/torch</c> beside the host.</summary>
    public string? BackendDirectory { get; set; }

    /// <summary>The seeds this run runs: <see cref="Seeds"/> when given, else <see cref="Seed"/>.</summary>
    public IReadOnlyList<long> EffectiveSeeds() => Seeds.Length > 0 ? Seeds : [Seed];

    /// <summary>A copy of these options that runs <paramref name="seed"/> alone.</summary>
    public RunOptions ForSeed(long seed)
    {
        var copy = (RunOptions)MemberwiseClone();
        copy.Seed = seed;
        copy.Seeds = [];
        return copy;
    }

    /// <inheritdoc/>
    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        var repeated = Seeds.GroupBy(s => s).Where(g => g.Count() > 1).Select(g => g.Key).ToList();
        if (repeated.Count > 0)
            yield return new ValidationResult($"each seed may appear once; repeated: {string.Join(", ", repeated)}", [nameof(Seeds)]);
    }
}
