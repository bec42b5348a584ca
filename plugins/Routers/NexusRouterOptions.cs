// Options of the nexus router plugin (Gritsch et al. 2024, arXiv 2408.15901; docs/methods.md "nexus").
using System.ComponentModel.DataAnnotations;

namespace PluginMoE.Plugins.Routers;

/// <summary>Options of the <c>nexus</c> router. k comes from the router spec (<c>Model:Moe:TopK</c>; when that is left out, the factory's default 1, as in the paper).</summary>
public sealed class NexusRouterOptions
{
    /// <summary>Hidden width h of the hypernetwork <c>W2 SwiGLU(W1 d_i)</c>; 0 uses the model width d.</summary>
    [Range(0, 1 << 20)]
    public int HiddenSize { get; set; }

    /// <summary>Domain embeddings given inline: one row of m numbers per routed expert (used when the recipe supplies none).</summary>
    public double[][]? DomainEmbeddings { get; set; }

    /// <summary>
    /// A file with the domain embeddings (used when the recipe supplies none and <see cref="DomainEmbeddings"/> is unset):
    /// <c>.json</c> (an array of n arrays of m numbers) or <c>.safetensors</c> (one (n, m) tensor). Relative paths are
    /// resolved against the current directory.
    /// </summary>
    public string? DomainEmbeddingsFile { get; set; }

    /// <summary>Standard deviation of the normal init of <c>W2</c> (W1 is drawn from normal(0, 1/sqrt(m))).</summary>
    [Range(0.0, 10.0)]
    public double InitStd { get; set; } = 0.02;

    /// <summary>How the gates are formed; the paper's default <c>softmax-topk</c> keeps the chosen probabilities unnormalised.</summary>
    [AllowedValues(LinearRouterOptions.SoftmaxTopK, LinearRouterOptions.TopKSoftmax, LinearRouterOptions.SoftmaxTopKRenormalise)]
    public string Normalize { get; set; } = LinearRouterOptions.SoftmaxTopK;
}
