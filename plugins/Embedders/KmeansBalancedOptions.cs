// Options of the kmeans-balanced document clusterer.
using System.ComponentModel.DataAnnotations;

namespace PluginMoE.Plugins.Embedders;

/// <summary>Options of the <c>kmeans-balanced</c> clusterer.</summary>
public sealed class KmeansBalancedOptions
{
    /// <summary>Width of the document vectors computed when the request brings none (hashed TF-IDF, randomly projected).</summary>
    [Range(2, 65536)]
    public int Dim { get; set; } = 128;

    /// <summary>log2 of the number of TF-IDF hash buckets.</summary>
    [Range(10, 26)]
    public int HashBits { get; set; } = 18;

    /// <summary>Most assignment/update rounds.</summary>
    [Range(1, 1000)]
    public int MaxIterations { get; set; } = 30;

    /// <summary>Words listed per cluster.</summary>
    [Range(0, 100)]
    public int TopTerms { get; set; } = 8;

    /// <summary>Only the first this many characters of a document are used.</summary>
    [Range(1, int.MaxValue)]
    public int MaxCharsPerDocument { get; set; } = 8192;
}
