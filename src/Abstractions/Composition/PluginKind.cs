// The kinds of plugin the host discovers.
namespace PluginMoE.Abstractions.Composition;

/// <summary>What a plugin export provides.</summary>
public enum PluginKind
{
    /// <summary>An <see cref="Routing.IRouterFactory"/>.</summary>
    Router,
    /// <summary>An <see cref="Experts.IExpertFactory"/>.</summary>
    Expert,
    /// <summary>An <see cref="Merging.IMergeStrategy"/>.</summary>
    MergeStrategy,
    /// <summary>An <see cref="Data.IDatasetLoader"/>.</summary>
    DatasetLoader,
    /// <summary>An <see cref="Data.ITokenizerFactory"/>.</summary>
    Tokenizer,
    /// <summary>An <see cref="Data.IDomainEmbedder"/>.</summary>
    DomainEmbedder,
    /// <summary>An <see cref="Data.IDocumentClusterer"/>.</summary>
    DocumentClusterer,
}
