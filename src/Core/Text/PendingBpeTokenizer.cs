// A bpe tokenizer selected by a profile but not trained yet: it knows its vocabulary size (so the model's
// vocabulary can be checked before any work) and becomes a BpeTokenizer when trained on the training text.
using PluginMoE.Abstractions.Data;

namespace PluginMoE.Core.Text;

/// <summary>The <c>bpe</c> tokenizer before training; <see cref="Train"/> gives the real one.</summary>
/// <param name="Options">The bound options.</param>
public sealed record PendingBpeTokenizer(BpeOptions Options) : ITokenizer
{
    /// <inheritdoc/>
    public int VocabSize => Options.VocabSize;

    /// <inheritdoc/>
    public int[] Encode(string text) => throw new InvalidOperationException("bpe: the tokenizer has not been trained yet; call Train on the training texts first");

    /// <inheritdoc/>
    public string Decode(ReadOnlySpan<int> ids) => throw new InvalidOperationException("bpe: the tokenizer has not been trained yet; call Train on the training texts first");

    /// <summary>Trains on <paramref name="texts"/> (in their order, until <see cref="BpeOptions.SampleBytes"/>).</summary>
    public BpeTokenizer Train(IEnumerable<string> texts) => BpeTokenizerFactory.Train(texts, Options);
}
