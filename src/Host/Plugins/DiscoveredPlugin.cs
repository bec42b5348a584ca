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
}
