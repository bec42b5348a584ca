// Exports the byte-level BPE tokenizer under the name `bpe`: Create loads a tokenizer.json (Options.Path), or,
// without a Path, gives the tokenizer to train on the training text (PendingBpeTokenizer); Train learns one.
using PluginMoE.Abstractions.Composition;
using PluginMoE.Abstractions.Data;

namespace PluginMoE.Core.Text;

/// <summary>The <c>bpe</c> tokenizer factory.</summary>
[ExportTokenizer("bpe", Description = "Byte-level BPE: trained by PluginMoE on a sample of the training text, or loaded from a Hugging Face tokenizer.json")]
public sealed class BpeTokenizerFactory : ITokenizerFactory
{
    /// <inheritdoc/>
    public Type? OptionsType => typeof(BpeOptions);

    /// <inheritdoc/>
    /// <remarks>
    /// With <see cref="BpeOptions.Path"/> (relative paths against the current folder; the host makes them relative to
    /// the profile), the tokenizer.json there; without, a <see cref="PendingBpeTokenizer"/> that the data loading trains
    /// on the training split.
    /// </remarks>
    /// <exception cref="FileNotFoundException">Path names no file.</exception>
    /// <exception cref="InvalidDataException">The file is not a byte-level BPE tokenizer.json PluginMoE can apply (the message names the field).</exception>
    public ITokenizer Create(object? options)
    {
        var o = options as BpeOptions ?? new BpeOptions();
        if (o.Path is not { Length: > 0 } path) return new PendingBpeTokenizer(o);
        path = System.IO.Path.GetFullPath(path);
        if (!File.Exists(path)) throw new FileNotFoundException($"bpe: tokenizer file '{path}' does not exist; point Path at a Hugging Face tokenizer.json", path);
        return HfTokenizerJson.Load(path);
    }

    /// <summary>Trains a tokenizer on <paramref name="texts"/> with <paramref name="options"/>.</summary>
    public static BpeTokenizer Train(IEnumerable<string> texts, BpeOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return BpeTrainer.Train(texts, options.VocabSize, options.SampleBytes, options.MinFrequency);
    }
}
