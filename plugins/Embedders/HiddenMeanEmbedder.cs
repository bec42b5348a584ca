// The hidden-mean domain embedder: the seed model's mean-pooled final hidden state of each sampled document,
// averaged over the documents of a domain (the "seed model as embedder" option of Nexus, METHODS.md).
using PluginMoE.Abstractions.Composition;
using PluginMoE.Abstractions.Data;
using PluginMoE.Tensors;

namespace PluginMoE.Plugins.Embedders;

/// <summary>Domain embeddings from the seed model's hidden states (through <see cref="IHiddenStateProvider"/>).</summary>
[ExportDomainEmbedder("hidden-mean", Description = "The seed model's mean-pooled final hidden state, averaged over a sample of each domain's documents")]
public sealed class HiddenMeanEmbedder : IDomainEmbedder
{
    /// <inheritdoc/>
    public Type? OptionsType => typeof(HiddenMeanOptions);

    /// <inheritdoc/>
    public Tensor Embed(DomainEmbeddingRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var o = request.Options as HiddenMeanOptions ?? new HiddenMeanOptions();
        var model = request.Model ?? throw new ArgumentException(
            "hidden-mean: the request carries no model (IHiddenStateProvider); this embedder needs the seed model's hidden states, " +
            "so run it from a stage that has a seed model, or use the 'tfidf' embedder, which needs none");
        if (request.Domains.Count == 0) throw new ArgumentException("hidden-mean: the request has no domains; give each domain a sample of its documents");
        int dim = model.Dim;
        var result = new float[request.Domains.Count * dim];
        int d = 0;
        foreach (var (name, docs) in request.Domains)
        {
            var used = docs.Take(o.MaxDocumentsPerDomain).Where(x => x.Text.Length > 0).ToList();
            if (used.Count == 0) throw new ArgumentException($"hidden-mean: domain '{name}' has no non-empty documents; give each domain at least one");
            var sum = new double[dim];
            foreach (var doc in used)
            {
                string text = doc.Text.Length > o.MaxCharsPerDocument ? doc.Text[..o.MaxCharsPerDocument] : doc.Text;
                var h = model.MeanHiddenState(text).to(ScalarType.Float32).contiguous().data<float>();   // (Dim)
                if (h.Length != dim) throw new InvalidOperationException($"hidden-mean: the model returned {h.Length} values, but its Dim is {dim}");
                for (int i = 0; i < dim; i++) sum[i] += h[i];
            }
            for (int i = 0; i < dim; i++) result[d * dim + i] = (float)(sum[i] / used.Count);
            d++;
        }
        return torch.tensor(result, [request.Domains.Count, dim]);                            // (domains, Dim)
    }
}
