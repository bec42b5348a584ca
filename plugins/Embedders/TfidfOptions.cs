// Options of the tfidf domain embedder.
using System.ComponentModel.DataAnnotations;

namespace PluginMoE.Plugins.Embedders;

/// <summary>Options of the <c>tfidf</c> embedder.</summary>
public sealed class TfidfOptions
{
    /// <summary>Width m of the domain embeddings (the random projection's output).</summary>
    [Range(2, 65536)]
    public int Dim { get; set; } = 256;

    /// <summary>log2 of the number of hash buckets.</summary>
    [Range(10, 26)]
    public int HashBits { get; set; } = 20;

    /// <summary>Shortest character n-gram.</summary>
    [Range(1, 16)]
    public int MinCharN { get; set; } = 3;

    /// <summary>Longest character n-gram.</summary>
    [Range(1, 16)]
    public int MaxCharN { get; set; } = 5;

    /// <summary>At most this many documents per domain are embedded (the first ones given).</summary>
    [Range(1, int.MaxValue)]
    public int MaxDocumentsPerDomain { get; set; } = 256;

    /// <summary>Only the first this many characters of a document are used.</summary>
    [Range(1, int.MaxValue)]
    public int MaxCharsPerDocument { get; set; } = 8192;

    /// <summary>Seed of the random projection.</summary>
    public long Seed { get; set; } = 1;
}
