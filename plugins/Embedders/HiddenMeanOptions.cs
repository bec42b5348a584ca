// Options of the hidden-mean domain embedder.
using System.ComponentModel.DataAnnotations;

namespace PluginMoE.Plugins.Embedders;

/// <summary>Options of the <c>hidden-mean</c> embedder.</summary>
public sealed class HiddenMeanOptions
{
    /// <summary>At most this many documents per domain are run through the model (the first ones given).</summary>
    [Range(1, int.MaxValue)]
    public int MaxDocumentsPerDomain { get; set; } = 32;

    /// <summary>Only the first this many characters of a document are used.</summary>
    [Range(1, int.MaxValue)]
    public int MaxCharsPerDocument { get; set; } = 2048;
}
