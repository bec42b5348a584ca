// Something in a plugin folder that could not be used, with the reason and what would fix it.
using PluginMoE.Abstractions.Composition;

namespace PluginMoE.Host.Plugins;

/// <summary>A plugin folder, file or export that failed to load.</summary>
/// <param name="Folder">The plugin folder.</param>
/// <param name="File">The DLL's file name (empty when the whole folder or directory failed).</param>
/// <param name="Reason">What is wrong and what would work (without the location, which <see cref="Message"/> adds).</param>
/// <param name="PluginName">The plugin's name when the failure belongs to one export; null for a whole file.</param>
/// <param name="Kind">The export's kind when <paramref name="PluginName"/> is set.</param>
public sealed record PluginLoadFailure(string Folder, string File, string Reason, string? PluginName = null, PluginKind? Kind = null)
{
    /// <summary>The exception behind the failure, when there was one.</summary>
    public Exception? Exception { get; init; }

    /// <summary>One paragraph naming the plugin, its folder and file, and the reason.</summary>
    public string Message
    {
        get
        {
            var subject = PluginName is null ? "plugin" : $"{(Kind is { } k ? PluginKinds.Display(k) + " " : "")}plugin '{PluginName}'";
            var file = File.Length == 0 ? "" : $" (file {File})";
            return $"{subject} in folder '{Folder}'{file}: {Reason}";
        }
    }

    /// <inheritdoc/>
    public override string ToString() => Message;
}
