// The tfidf domain embedder: each document's hashed word + character n-gram TF-IDF vector (L2-normalised),
// averaged per domain, then reduced to a fixed width by a seeded random projection and L2-normalised.
using PluginMoE.Abstractions.Composition;
using PluginMoE.Abstractions.Data;
using PluginMoE.Tensors;

namespace PluginMoE.Plugins.Embedders;

/// <summary>Domain embeddings from hashed TF-IDF; IDF is computed over all documents of the request.</summary>
[ExportDomainEmbedder("tfidf", Description = "Hashed word and character n-gram TF-IDF averaged per domain, randomly projected to a fixed width")]
public sealed class TfidfEmbedder : IDomainEmbedder
{
    /// <inheritdoc/>
    public Type? OptionsType => typeof(TfidfOptions);

    /// <inheritdoc/>
    public Tensor Embed(DomainEmbeddingRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var o = request.Options as TfidfOptions ?? new TfidfOptions();
        var vectors = DocumentVectors(request.Domains, o, out var owners);
        int domains = request.Domains.Count;
        var sums = Enumerable.Range(0, domains).Select(_ => new Dictionary<int, double>()).ToArray();
        var counts = new int[domains];
        for (int i = 0; i < vectors.Count; i++)
        {
            counts[owners[i]]++;
            foreach (var (k, v) in vectors[i]) sums[owners[i]][k] = sums[owners[i]].GetValueOrDefault(k) + v;
        }
        var projection = new RandomProjection(o.Dim, o.Seed);
        var result = new float[domains * o.Dim];
        for (int d = 0; d < domains; d++)
        {
            foreach (var k in sums[d].Keys.ToArray()) sums[d][k] /= Math.Max(1, counts[d]);
            var y = projection.Project(sums[d]);
            double norm = Math.Sqrt(y.Sum(v => v * v));
            for (int i = 0; i < o.Dim; i++) result[d * o.Dim + i] = norm > 0 ? (float)(y[i] / norm) : 0f;
        }
        return torch.tensor(result, [domains, o.Dim]);                                     // (domains, m)
    }

    /// <summary>TF-IDF vectors of every used document, with the index of its domain.</summary>
    internal static List<Dictionary<int, float>> DocumentVectors(IReadOnlyDictionary<string, IReadOnlyList<Document>> domains, TfidfOptions o, out List<int> owners)
    {
        if (domains.Count == 0) throw new ArgumentException("tfidf: the request has no domains; give each domain a sample of its documents");
        var texts = new List<string>();
        owners = [];
        int d = 0;
        foreach (var (name, docs) in domains)
        {
            if (docs.Count == 0) throw new ArgumentException($"tfidf: domain '{name}' has no documents; give each domain at least one");
            foreach (var doc in docs.Take(o.MaxDocumentsPerDomain))
            {
                texts.Add(doc.Text.Length > o.MaxCharsPerDocument ? doc.Text[..o.MaxCharsPerDocument] : doc.Text);
                owners.Add(d);
            }
            d++;
        }
        if (o.MinCharN > o.MaxCharN) throw new ArgumentException($"tfidf: MinCharN ({o.MinCharN}) is larger than MaxCharN ({o.MaxCharN})");
        return new HashedTfidf(o.HashBits, o.MinCharN, o.MaxCharN).Vectors(texts);
    }
}
