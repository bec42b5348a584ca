// What the configuration layers are built from: the host folder (appsettings.json, profiles/), the working
// directory, the chosen profile, the environment and the command-line overrides.
namespace PluginMoE.Host.Configuration;

/// <summary>Inputs of <see cref="LayeredConfiguration.Build"/>; tests pass their own environment and folders.</summary>
public sealed record ConfigurationRequest
{
    /// <summary>Profile name (looked up as <c>profiles/&lt;name&gt;.json</c>) or path to a .json file; null uses <c>PLUGINMOE_PROFILE</c> or none.</summary>
    public string? Profile { get; init; }

    /// <summary>Folder of the host binary: holds <c>appsettings.json</c> and a <c>profiles</c> folder.</summary>
    public string HostDirectory { get; init; } = AppContext.BaseDirectory;

    /// <summary>The working directory (its <c>profiles</c> folder is searched first).</summary>
    public string WorkingDirectory { get; init; } = Directory.GetCurrentDirectory();

    /// <summary>Environment variables; only <c>PLUGINMOE__Section__Key</c> entries and <c>PLUGINMOE_PROFILE</c> are read.</summary>
    public IReadOnlyDictionary<string, string?> Environment { get; init; } = new Dictionary<string, string?>();

    /// <summary>Command-line overrides such as <c>--Model:Layers=4</c> (or <c>--Model:Layers 4</c>).</summary>
    public IReadOnlyList<string> Overrides { get; init; } = [];

    /// <summary>The process environment as a dictionary.</summary>
    public static IReadOnlyDictionary<string, string?> ProcessEnvironment() =>
        System.Environment.GetEnvironmentVariables().Cast<System.Collections.DictionaryEntry>()
            .ToDictionary(e => (string)e.Key, e => (string?)e.Value, StringComparer.Ordinal);
}
