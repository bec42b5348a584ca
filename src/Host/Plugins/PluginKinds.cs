// The contract type behind each plugin kind, and how kinds read in messages.
using PluginMoE.Abstractions.Composition;
using PluginMoE.Abstractions.Data;
using PluginMoE.Abstractions.Experts;
using PluginMoE.Abstractions.Merging;
using PluginMoE.Abstractions.Routing;

namespace PluginMoE.Host.Plugins;

/// <summary>Maps <see cref="PluginKind"/> to the exported contract type.</summary>
public static class PluginKinds
{
    /// <summary>Every kind, in display order.</summary>
    public static IReadOnlyList<PluginKind> All { get; } = Enum.GetValues<PluginKind>();

    /// <summary>The interface exports of <paramref name="kind"/> implement (e.g. <see cref="IRouterFactory"/>).</summary>
    public static Type ContractType(PluginKind kind) => kind switch
    {
        PluginKind.Router => typeof(IRouterFactory),
        PluginKind.Expert => typeof(IExpertFactory),
        PluginKind.MergeStrategy => typeof(IMergeStrategy),
        PluginKind.DatasetLoader => typeof(IDatasetLoader),
        PluginKind.Tokenizer => typeof(ITokenizerFactory),
        PluginKind.DomainEmbedder => typeof(IDomainEmbedder),
        PluginKind.DocumentClusterer => typeof(IDocumentClusterer),
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "unknown plugin kind"),
    };

    /// <summary>Lower-case words for messages: <c>router</c>, <c>merge strategy</c>, ...</summary>
    public static string Display(PluginKind kind) => kind switch
    {
        PluginKind.MergeStrategy => "merge strategy",
        PluginKind.DatasetLoader => "dataset loader",
        PluginKind.DomainEmbedder => "domain embedder",
        PluginKind.DocumentClusterer => "document clusterer",
        _ => kind.ToString().ToLowerInvariant(),
    };
}
