// The Run section: which stages a profile runs, its seed and where its run folder goes.
using System.ComponentModel.DataAnnotations;

namespace PluginMoE.Host.Configuration;

/// <summary>Settings of one <c>pluginmoe run</c>.</summary>
public sealed class RunOptions : ISectionOptions
{
    /// <inheritdoc/>
    public static string SectionName => "Run";

    /// <summary>Name used for the run folder (<c>runs/&lt;Name&gt;-&lt;utc-timestamp&gt;</c>); defaults to the profile's name.</summary>
    public string? Name { get; set; }

    /// <summary>Seed of model initialisation and batch sampling.</summary>
    public long Seed { get; set; } = 1;

    /// <summary>Stages to run, in order (<c>--stages</c> overrides it).</summary>
    [MinLength(1)]
    public string[] Stages { get; set; } = ["train"];

    /// <summary>Folder that new run folders are created in (relative to the working directory).</summary>
    [Required]
    public string RunsRoot { get; set; } = "runs";

    /// <summary>An explicit run folder (<c>--run-dir</c>); re-using one resumes it.</summary>
    public string? RunDirectory { get; set; }
}
