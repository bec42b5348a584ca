// A model's hidden states as domain embedders see them (IHiddenStateProvider): the mean over a text's tokens of the
// hidden state at one layer (e.g. the seed model's final hidden state for the `hidden-mean` embedder, Nexus sec. 3.2).
using PluginMoE.Abstractions.Data;
using PluginMoE.Tensors;
using static PluginMoE.Tensors.torch;

namespace PluginMoE.Core.Model;

/// <summary>Mean-pooled hidden states of a <see cref="TransformerLM"/> over texts encoded with its tokenizer.</summary>
public sealed class ModelHiddenStates : IHiddenStateProvider
{
    private readonly TransformerLM _model;
    private readonly ITokenizer _tokenizer;

    /// <summary>Reads hidden states of <paramref name="model"/> for texts encoded by <paramref name="tokenizer"/>.</summary>
    public ModelHiddenStates(TransformerLM model, ITokenizer tokenizer)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(tokenizer);
        if (tokenizer.VocabSize > model.Config.VocabSize)
            throw new ArgumentException($"ModelHiddenStates: the tokenizer has {tokenizer.VocabSize} ids but the model's vocabulary is {model.Config.VocabSize}", nameof(tokenizer));
        _model = model;
        _tokenizer = tokenizer;
    }

    /// <inheritdoc/>
    public int Dim => _model.Config.HiddenSize;

    /// <inheritdoc/>
    public int Layers => _model.Config.NumHiddenLayers;

    /// <summary>
    /// Encodes <paramref name="text"/>, runs it in consecutive windows of at most MaxPositionEmbeddings tokens (eval mode,
    /// no gradients; the model's mode is restored) and averages the hidden state at <paramref name="layer"/> over every token.
    /// Returns float64 (Dim).
    /// </summary>
    /// <exception cref="ArgumentException">The text has no tokens, or the layer is outside -1..Layers.</exception>
    public Tensor MeanHiddenState(string text, int layer = -1)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (layer < -1 || layer > Layers)
            throw new ArgumentException($"ModelHiddenStates: layer {layer} does not exist; use 0 (embeddings) to {Layers} (after the last block), or -1 for the final normed state", nameof(layer));
        var ids = _tokenizer.Encode(text);
        if (ids.Length == 0) throw new ArgumentException("ModelHiddenStates: the text encodes to no tokens", nameof(text));
        int window = _model.Config.MaxPositionEmbeddings;
        int index = layer == -1 ? Layers + 1 : layer;
        bool wasTraining = _model.training;
        _model.eval();
        try
        {
            using var _ = no_grad();
            var sum = zeros([Dim], ScalarType.Float64);
            for (int start = 0; start < ids.Length; start += window)
            {
                var chunk = ids.AsSpan(start, Math.Min(window, ids.Length - start)).ToArray().Select(i => (long)i).ToArray();
                var states = _model.HiddenStates(tensor(chunk).reshape(1, -1));       // each (1, t, C)
                sum = sum + states[index].to(ScalarType.Float64).sum([0, 1]);         // (C)
            }
            return sum / ids.Length;
        }
        finally
        {
            _model.train(wasTraining);
        }
    }
}
