// The Plugins section: where plugin folders are looked for.
namespace PluginMoE.Host.Configuration;

/// <summary>Plugin discovery settings.</summary>
public sealed class PluginsOptions : ISectionOptions
{
    /// <inheritdoc/>
    public static string SectionName => "Plugins";

    /// <summary>
    /// Extra plugin directories (each holds one folder per plugin), searched after the <c>plugins</c> folder beside
    /// the host binary; relative paths are resolved against the working directory.
    /// </summary>
    public string[] Directories { get; set; } = [];
}
