// Options of the bpe tokenizer: train a vocabulary of a given size on a sample of the training text, or load
// an existing tokenizer.json (ours or another tool's byte-level BPE).
using System.ComponentModel.DataAnnotations;

namespace PluginMoE.Core.Text;

/// <summary>Options of the <c>bpe</c> tokenizer.</summary>
public sealed class BpeOptions : Composition.IRelativePathOptions
{
    /// <summary>Vocabulary size to train (256 single bytes + merges).</summary>
    [Range(256, 1 << 20)]
    public int VocabSize { get; set; } = 4096;

    /// <summary>Training reads the training documents (in their deterministic order) until this many UTF-8 bytes.</summary>
    [Range(1, long.MaxValue)]
    public long SampleBytes { get; set; } = 10L << 20;

    /// <summary>Pairs seen fewer times than this are not merged (training may stop below <see cref="VocabSize"/>).</summary>
    [Range(1, int.MaxValue)]
    public int MinFrequency { get; set; } = 2;

    /// <summary>An existing tokenizer.json to use instead of training (absolute, or relative to the profile's folder).</summary>
    public string? Path { get; set; }

    /// <inheritdoc/>
    public object WithBaseDirectory(string baseDirectory) => new BpeOptions
    {
        VocabSize = VocabSize,
        SampleBytes = SampleBytes,
        MinFrequency = MinFrequency,
        Path = Path is { Length: > 0 } p ? System.IO.Path.GetFullPath(p, baseDirectory) : Path,
    };
}
