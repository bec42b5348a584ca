// One plugin export the host found and could create: what `pluginmoe plugins list` shows.
using PluginMoE.Abstractions.Composition;

namespace PluginMoE.Host.Plugins;

/// <summary>A usable plugin export.</summary>
/// <param name="Kind">What it provides.</param>
/// <param name="Name">The name profiles select it by.</param>
/// <param name="Description">Its one-sentence description.</param>
/// <param name="ContractVersion">The contract version it was built against (<c>Major.Minor</c>).</param>
/// <param name="SourceFolder">The plugin folder it was loaded from.</param>
/// <param name="AssemblyPath">The DLL that exports it.</param>
public sealed record DiscoveredPlugin(
    PluginKind Kind, string Name, string Description, string ContractVersion, string SourceFolder, string AssemblyPath)
{
    /// <summary>The plugin assembly's informational version (its package version), e.g. <c>1.2.0</c>.</summary>
    public string Version { get; init; } = "";

    /// <summary>Full name of the exported class.</summary>
    public string TypeName { get; init; } = "";

    /// <summary>
    /// Who provides it: <c>pluginmoe</c> for the first-party and built-in plugins, else the plugin assembly's company
    /// (the assembly name unless the project sets <c>Company</c>). <c>vendor/name</c> selects this copy of a name.
    /// </summary>
    public string Vendor { get; init; } = "";

    /// <summary>True for plugins shipped with the host (its own plugins folder, or built into Core).</summary>
    public bool FirstParty { get; init; }

    /// <summary><c>vendor/name</c>: selects this plugin even when another one exports the same name.</summary>
    public string QualifiedName => $"{Vendor}/{Name}";
}
