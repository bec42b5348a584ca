// Clustering of unlabeled documents into k groups (c-BTM / BTX style), so that one corpus without domain
// labels can still be split into domains for branch training.
using PluginMoE.Tensors;

namespace PluginMoE.Abstractions.Data;

/// <summary>What a document clusterer is given.</summary>
/// <param name="Documents">The documents to cluster.</param>
/// <param name="Clusters">Number of clusters k.</param>
public sealed record ClusteringRequest(IReadOnlyList<Document> Documents, int Clusters)
{
    /// <summary>The clusterer's options (its factory's <c>OptionsType</c>), or null.</summary>
    public object? Options { get; init; }

    /// <summary>Seed: the same seed, documents and options give the same clusters.</summary>
    public long Seed { get; init; }

    /// <summary>One vector per document (N, m) from an embedder, or null to let the clusterer compute its own features.</summary>
    public Tensor? Vectors { get; init; }

    /// <summary>Cancels a long run.</summary>
    public CancellationToken CancellationToken { get; init; }
}

/// <summary>Clusters and what describes them.</summary>
/// <param name="Assignments">Cluster of each document (N), in request order.</param>
/// <param name="Sizes">Documents per cluster (k).</param>
/// <param name="TopTerms">The most characteristic words of each cluster (k lists).</param>
/// <param name="Centroids">(k, m) cluster centres in the vector space used.</param>
public sealed record ClusteringResult(IReadOnlyList<int> Assignments, IReadOnlyList<int> Sizes, IReadOnlyList<IReadOnlyList<string>> TopTerms, Tensor Centroids);

/// <summary>Groups documents into clusters; exported with <see cref="ExportDocumentClustererAttribute"/>.</summary>
public interface IDocumentClusterer : Composition.IPluginFactory
{
    /// <summary>Clusters <see cref="ClusteringRequest.Documents"/> into <see cref="ClusteringRequest.Clusters"/> groups.</summary>
    ClusteringResult Cluster(ClusteringRequest request);
}
