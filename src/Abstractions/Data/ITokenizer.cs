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

/// <summary>Gives hidden states of a model, for embedders that embed with the seed model.</summary>
public interface IHiddenStateProvider
{
    /// <summary>Width of the returned vectors.</summary>
    int Dim { get; }

    /// <summary>Mean-pooled last hidden state of <paramref name="text"/> (Dim).</summary>
    Tensor MeanHiddenState(string text);
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
