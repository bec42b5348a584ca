// Tokenizers and domain embedders.
using PluginMoE.Tensors;

namespace PluginMoE.Abstractions.Data;

/// <summary>Maps text to token ids and back.</summary>
public interface ITokenizer
{
    /// <summary>Number of distinct ids.</summary>
    int VocabSize { get; }

    /// <summary>Token ids of <paramref name="text"/>; no special tokens are added.</summary>
    int[] Encode(string text);

    /// <summary>Text of <paramref name="ids"/> (invalid sequences decode to U+FFFD).</summary>
    string Decode(ReadOnlySpan<int> ids);
}

/// <summary>Builds tokenizers; exported with <see cref="Composition.ExportTokenizerAttribute"/>.</summary>
public interface ITokenizerFactory : Composition.IPluginFactory
{
    /// <summary>Creates a tokenizer from its options (null for defaults).</summary>
    ITokenizer Create(object? options);
}

/// <summary>Gives hidden states of a model, for embedders that embed with the seed model (e.g. <c>hidden-mean</c>).</summary>
public interface IHiddenStateProvider
{
    /// <summary>Width of the returned vectors.</summary>
    int Dim { get; }

    /// <summary>Number of transformer blocks L: <c>layer</c> runs from 0 (token embeddings) to L (after the last block).</summary>
    int Layers { get; }

    /// <summary>
    /// Mean over the tokens of <paramref name="text"/> of the hidden state (Dim) at <paramref name="layer"/>: 0 = token
    /// embeddings, i = output of block i (1..L), -1 (default) = the final hidden state after the final norm (what the
    /// LM head sees). Texts longer than the model's context are split into windows and every token counts once.
    /// </summary>
    Tensor MeanHiddenState(string text, int layer = -1);
}

/// <summary>What a domain embedder is given.</summary>
/// <param name="Domains">Representative documents of each domain, keyed by domain name.</param>
public sealed record DomainEmbeddingRequest(IReadOnlyDictionary<string, IReadOnlyList<Document>> Domains)
{
    /// <summary>The embedder's options, or null.</summary>
    public object? Options { get; init; }

    /// <summary>The seed model's hidden states, when available.</summary>
    public IHiddenStateProvider? Model { get; init; }

    /// <summary>Tokenizer of the model.</summary>
    public ITokenizer? Tokenizer { get; init; }
}

/// <summary>Turns documents into one fixed vector per domain; exported with <see cref="Composition.ExportDomainEmbedderAttribute"/>.</summary>
public interface IDomainEmbedder : Composition.IPluginFactory
{
    /// <summary>One embedding (m) per domain, in the order of <see cref="DomainEmbeddingRequest.Domains"/>, stacked as (domains, m).</summary>
    Tensor Embed(DomainEmbeddingRequest request);
}
