// The MEF export attribute of document clusterers.
using PluginMoE.Abstractions.Composition;

namespace PluginMoE.Abstractions.Data;

/// <summary>Exports a document clusterer: <c>[ExportDocumentClusterer("kmeans-balanced")]</c>.</summary>
public sealed class ExportDocumentClustererAttribute(string name) : PluginExportAttribute(typeof(IDocumentClusterer))
{
    /// <inheritdoc/>
    public override string Name { get; } = Checked(name);
    /// <inheritdoc/>
    public override string Kind => nameof(PluginKind.DocumentClusterer);
    /// <inheritdoc/>
    public override string Description { get; set; } = "";
    /// <inheritdoc/>
    public override int ContractMajor { get; set; } = PluginContract.Major;
    /// <inheritdoc/>
    public override int ContractMinor { get; set; } = PluginContract.Minor;
}
