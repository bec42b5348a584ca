// Mean next-token negative log-likelihood and perplexity of a token sequence (the `pluginmoe score` semantics):
// consecutive windows of `context` tokens, each scored on its own from its first token.
using PluginMoE.Core.Model;
using PluginMoE.Tensors;
using static PluginMoE.Tensors.torch;

namespace PluginMoE.Core.Inference;

/// <summary>Scores text under a <see cref="TransformerLM"/>.</summary>
public static class Scorer
{
    /// <summary>
    /// Cuts <paramref name="tokens"/> into consecutive windows of <paramref name="context"/> tokens (the last may be
    /// shorter) and predicts every token after the first of each window from the tokens before it in its window;
    /// nothing is prepended (for the byte tokenizer the ids are the text's UTF-8 bytes). Full windows run batched,
    /// <paramref name="batchSize"/> at a time, in eval mode without gradients; the model's mode is restored after.
    /// Per-token losses are summed in float64.
    /// </summary>
    /// <param name="model">The language model.</param>
    /// <param name="tokens">Token ids of the text, at least 2.</param>
    /// <param name="context">Window length in [2, MaxPositionEmbeddings]; null for MaxPositionEmbeddings.</param>
    /// <param name="batchSize">Windows per forward pass (memory grows with batchSize * context * vocabulary).</param>
    /// <param name="cancellationToken">Checked before every batch.</param>
    /// <returns>Predicted-token count, mean NLL (nats) and perplexity.</returns>
    /// <exception cref="ArgumentException">Too few tokens, an id outside the vocabulary, or a window length or batch size out of range.</exception>
    public static ScoreResult Score(TransformerLM model, int[] tokens, int? context = null, int batchSize = 8, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(tokens);
        int max = model.Config.MaxPositionEmbeddings, vocab = model.Config.VocabSize;
        int c = context ?? max;
        if (c < 2 || c > max)
            throw new ArgumentOutOfRangeException(nameof(context), c,
                $"score: the context (window length) must be between 2 and the model's max positions ({max}), got {c}");
        if (batchSize < 1)
            throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize, $"score: the batch size must be at least 1, got {batchSize}");
        if (tokens.Length < 2)
            throw new ArgumentException($"score: the text has {tokens.Length} token(s); at least 2 are needed (the first token of a window is not predicted)", nameof(tokens));
        int bad = Array.FindIndex(tokens, id => id < 0 || id >= vocab);
        if (bad >= 0)
            throw new ArgumentException($"score: token {bad} has id {tokens[bad]}, outside the model's vocabulary 0..{vocab - 1}; use the model's tokenizer", nameof(tokens));

        int full = tokens.Length / c, rest = tokens.Length % c;
        double nll = 0;
        long count = 0;
        bool wasTraining = model.training;
        model.eval();
        try
        {
            using (no_grad())
            {
                for (int w = 0; w < full; w += batchSize)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    int rows = Math.Min(batchSize, full - w);
                    AddWindows(model, tokens.AsSpan(w * c, rows * c), rows, c, ref nll, ref count);
                }
                if (rest >= 2) // a 1-token tail predicts nothing
                    AddWindows(model, tokens.AsSpan(full * c, rest), 1, rest, ref nll, ref count);
            }
        }
        finally
        {
            model.train(wasTraining);
        }
        double mean = nll / count;
        return new ScoreResult(count, mean, Math.Exp(mean));
    }

    /// <summary>Adds the summed NLL and count of <paramref name="rows"/> consecutive windows of length <paramref name="t"/>.</summary>
    private static void AddWindows(TransformerLM model, ReadOnlySpan<int> tokens, int rows, int t, ref double nll, ref long count)
    {
        var ids = new long[tokens.Length];
        for (int i = 0; i < ids.Length; i++) ids[i] = tokens[i];
        var x = tensor(ids, [rows, t]);                                      // (B, T)
        var logits = model.forward(x).Logits;                               // (B, T, V)
        var inputs = logits.narrow(1, 0, t - 1).reshape(-1, logits.size(-1)); // (B*(T-1), V): positions that have a next token
        var targets = x.narrow(1, 1, t - 1).reshape(-1);                     // (B*(T-1)) the next tokens
        var losses = nn.functional.cross_entropy(inputs, targets, reduction: "none").to(ScalarType.Float64).data<double>();
        foreach (double l in losses) nll += l;
        count += losses.Length;
    }
}
