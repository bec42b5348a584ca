// Exports the byte-level BPE tokenizer under the name `bpe`: Create loads a tokenizer.json (Options.Path);
// Train learns one from text.
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
    /// <exception cref="ArgumentException">No Path is set: a BPE tokenizer must be trained first (<see cref="Train"/>).</exception>
    public ITokenizer Create(object? options)
    {
        var o = options as BpeOptions ?? new BpeOptions();
        if (o.Path is not { Length: > 0 } path)
            throw new ArgumentException("bpe: Path is not set; set it to a tokenizer.json, or let the train stage train one on the training data (Data:TokenizerOptions:VocabSize)");
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
