// Custom MEF export attributes (Roslyn's ExportLanguageServiceAttribute pattern): one per plugin kind,
// each carrying the plugin's name, description and the contract version it was compiled against.
using System.Composition;

namespace PluginMoE.Abstractions.Composition;

/// <summary>
/// Base of the PluginMoE export attributes. Its public properties become the export's metadata
/// (read through <see cref="PluginMetadata"/>).
/// </summary>
[MetadataAttribute]
[AttributeUsage(AttributeTargets.Class, AllowMultiple = false, Inherited = false)]
public abstract class PluginExportAttribute : ExportAttribute
{
    /// <summary>Exports the class under <paramref name="contractType"/> with a plugin name.</summary>
    protected PluginExportAttribute(Type contractType, string name, PluginKind kind) : base(contractType)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        Name = name;
        Kind = kind.ToString();
    }

    /// <summary>The name profiles use to select the plugin (e.g. <c>linear</c>, <c>nexus</c>).</summary>
    public string Name { get; }

    /// <summary>The plugin kind, as text (MEF metadata values must be simple types).</summary>
    public string Kind { get; }

    /// <summary>One sentence shown by <c>pluginmoe plugins list</c>.</summary>
    public string Description { get; set; } = "";

    /// <summary>
    /// Contract major version the plugin was compiled against. The default is the constant
    /// <see cref="PluginContract.Major"/>, which the C# compiler copies into the plugin's attribute
    /// data, so it records the version of the Abstractions package the plugin was built with.
    /// </summary>
    public int ContractMajor { get; set; } = PluginContract.Major;

    /// <summary>Contract minor version the plugin was compiled against.</summary>
    public int ContractMinor { get; set; } = PluginContract.Minor;
}

/// <summary>Exports a router factory: <c>[ExportRouter("linear", Description = "...")]</c>.</summary>
public sealed class ExportRouterAttribute(string name) : PluginExportAttribute(typeof(Routing.IRouterFactory), name, PluginKind.Router);

/// <summary>Exports an expert factory: <c>[ExportExpert("swiglu")]</c>.</summary>
public sealed class ExportExpertAttribute(string name) : PluginExportAttribute(typeof(Experts.IExpertFactory), name, PluginKind.Expert);

/// <summary>Exports a merge strategy: <c>[ExportMergeStrategy("btx")]</c>.</summary>
public sealed class ExportMergeStrategyAttribute(string name) : PluginExportAttribute(typeof(Merging.IMergeStrategy), name, PluginKind.MergeStrategy);

/// <summary>Exports a dataset loader: <c>[ExportDatasetLoader("jsonl")]</c>.</summary>
public sealed class ExportDatasetLoaderAttribute(string name) : PluginExportAttribute(typeof(Data.IDatasetLoader), name, PluginKind.DatasetLoader);

/// <summary>Exports a tokenizer factory: <c>[ExportTokenizer("byte")]</c>.</summary>
public sealed class ExportTokenizerAttribute(string name) : PluginExportAttribute(typeof(Data.ITokenizerFactory), name, PluginKind.Tokenizer);

/// <summary>Exports a domain embedder: <c>[ExportDomainEmbedder("tfidf")]</c>.</summary>
public sealed class ExportDomainEmbedderAttribute(string name) : PluginExportAttribute(typeof(Data.IDomainEmbedder), name, PluginKind.DomainEmbedder);
