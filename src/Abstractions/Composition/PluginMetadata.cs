// The concrete metadata view MEF fills from a PluginExportAttribute's properties.
namespace PluginMoE.Abstractions.Composition;

/// <summary>Metadata of one plugin export (System.Composition metadata view).</summary>
public sealed class PluginMetadata
{
    /// <summary>Name profiles use to select the plugin.</summary>
    public string Name { get; set; } = "";

    /// <summary>Plugin kind (a <see cref="PluginKind"/> name).</summary>
    public string Kind { get; set; } = "";

    /// <summary>One-sentence description.</summary>
    public string Description { get; set; } = "";

    /// <summary>Contract major version the plugin was compiled against.</summary>
    public int ContractMajor { get; set; }

    /// <summary>Contract minor version the plugin was compiled against.</summary>
    public int ContractMinor { get; set; }

    /// <summary>True when the host's contracts can load this plugin (same major version).</summary>
    public bool IsCompatible => ContractMajor == PluginContract.Major;
}
