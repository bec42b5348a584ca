// The Plugins section: where plugin folders are looked for, and which copy of a name exported twice is used.
using PluginMoE.Core.Recipe.Settings;

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

    /// <summary>
    /// For a plugin name that several plugins export: the vendor (as <c>pluginmoe plugins list</c> shows it) or the
    /// plugin folder (path or folder name) whose copy is used, e.g. <c>--Plugins:Prefer:linear=acme</c>. A name can
    /// also be qualified where it is selected (<c>Model:Moe:Router=acme/linear</c>).
    /// </summary>
    public Dictionary<string, string> Prefer { get; set; } = [];
}
