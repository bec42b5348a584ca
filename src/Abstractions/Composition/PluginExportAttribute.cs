// Custom MEF export attributes (Roslyn's ExportLanguageServiceAttribute pattern): one per plugin kind,
// each carrying the plugin's name, description and the contract version it was compiled against.
using System.Composition;

namespace PluginMoE.Abstractions.Composition;

/// <summary>
/// Base of the PluginMoE export attributes. The metadata properties are abstract and each concrete attribute
/// declares them, because System.Composition reads metadata only from properties declared on the attribute's
/// own class (inherited ones are ignored); their values are read through <see cref="PluginMetadata"/>.
/// </summary>
[MetadataAttribute]
[AttributeUsage(AttributeTargets.Class, AllowMultiple = false, Inherited = false)]
public abstract class PluginExportAttribute : ExportAttribute
{
    /// <summary>Exports the class under <paramref name="contractType"/>.</summary>
    protected PluginExportAttribute(Type contractType) : base(contractType) { }

    /// <summary>The name profiles use to select the plugin (e.g. <c>linear</c>, <c>nexus</c>).</summary>
    public abstract string Name { get; }

    /// <summary>The plugin kind, as text (a <see cref="PluginKind"/> name; MEF metadata values must be simple types).</summary>
    public abstract string Kind { get; }

    /// <summary>One sentence shown by <c>pluginmoe plugins list</c>.</summary>
    public abstract string Description { get; set; }

    /// <summary>
    /// Contract major version the plugin declares (default <see cref="PluginContract.Major"/> of the Abstractions
    /// assembly it runs with). The host also refuses a plugin whose reference to PluginMoE.Abstractions has another
    /// major assembly version, which is what a plugin compiled against another major version carries.
    /// </summary>
    public abstract int ContractMajor { get; set; }

    /// <summary>Contract minor version the plugin declares (default <see cref="PluginContract.Minor"/>).</summary>
    public abstract int ContractMinor { get; set; }

    /// <summary>Checks a plugin name.</summary>
    protected static string Checked(string name)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        return name;
    }
}

/// <summary>Exports a router factory: <c>[ExportRouter("linear", Description = "...")]</c>.</summary>
public sealed class ExportRouterAttribute(string name) : PluginExportAttribute(typeof(Routing.IRouterFactory))
{
    /// <inheritdoc/>
    public override string Name { get; } = Checked(name);
    /// <inheritdoc/>
    public override string Kind => nameof(PluginKind.Router);
    /// <inheritdoc/>
    public override string Description { get; set; } = "";
    /// <inheritdoc/>
    public override int ContractMajor { get; set; } = PluginContract.Major;
    /// <inheritdoc/>
    public override int ContractMinor { get; set; } = PluginContract.Minor;
}

/// <summary>Exports a expert factory: <c>[ExportExpert("swiglu")]</c>.</summary>
public sealed class ExportExpertAttribute(string name) : PluginExportAttribute(typeof(Experts.IExpertFactory))
{
    /// <inheritdoc/>
    public override string Name { get; } = Checked(name);
    /// <inheritdoc/>
    public override string Kind => nameof(PluginKind.Expert);
    /// <inheritdoc/>
    public override string Description { get; set; } = "";
    /// <inheritdoc/>
    public override int ContractMajor { get; set; } = PluginContract.Major;
    /// <inheritdoc/>
    public override int ContractMinor { get; set; } = PluginContract.Minor;
}

/// <summary>Exports a merge strategy: <c>[ExportMergeStrategy("btx")]</c>.</summary>
public sealed class ExportMergeStrategyAttribute(string name) : PluginExportAttribute(typeof(Merging.IMergeStrategy))
{
    /// <inheritdoc/>
    public override string Name { get; } = Checked(name);
    /// <inheritdoc/>
    public override string Kind => nameof(PluginKind.MergeStrategy);
    /// <inheritdoc/>
    public override string Description { get; set; } = "";
    /// <inheritdoc/>
    public override int ContractMajor { get; set; } = PluginContract.Major;
    /// <inheritdoc/>
    public override int ContractMinor { get; set; } = PluginContract.Minor;
}

/// <summary>Exports a dataset loader: <c>[ExportDatasetLoader("jsonl")]</c>.</summary>
public sealed class ExportDatasetLoaderAttribute(string name) : PluginExportAttribute(typeof(Data.IDatasetLoader))
{
    /// <inheritdoc/>
    public override string Name { get; } = Checked(name);
    /// <inheritdoc/>
    public override string Kind => nameof(PluginKind.DatasetLoader);
    /// <inheritdoc/>
    public override string Description { get; set; } = "";
    /// <inheritdoc/>
    public override int ContractMajor { get; set; } = PluginContract.Major;
    /// <inheritdoc/>
    public override int ContractMinor { get; set; } = PluginContract.Minor;
}

/// <summary>Exports a tokenizer factory: <c>[ExportTokenizer("byte")]</c>.</summary>
public sealed class ExportTokenizerAttribute(string name) : PluginExportAttribute(typeof(Data.ITokenizerFactory))
{
    /// <inheritdoc/>
    public override string Name { get; } = Checked(name);
    /// <inheritdoc/>
    public override string Kind => nameof(PluginKind.Tokenizer);
    /// <inheritdoc/>
    public override string Description { get; set; } = "";
    /// <inheritdoc/>
    public override int ContractMajor { get; set; } = PluginContract.Major;
    /// <inheritdoc/>
    public override int ContractMinor { get; set; } = PluginContract.Minor;
}

/// <summary>Exports a domain embedder: <c>[ExportDomainEmbedder("tfidf")]</c>.</summary>
public sealed class ExportDomainEmbedderAttribute(string name) : PluginExportAttribute(typeof(Data.IDomainEmbedder))
{
    /// <inheritdoc/>
    public override string Name { get; } = Checked(name);
    /// <inheritdoc/>
    public override string Kind => nameof(PluginKind.DomainEmbedder);
    /// <inheritdoc/>
    public override string Description { get; set; } = "";
    /// <inheritdoc/>
    public override int ContractMajor { get; set; } = PluginContract.Major;
    /// <inheritdoc/>
    public override int ContractMinor { get; set; } = PluginContract.Minor;
}
