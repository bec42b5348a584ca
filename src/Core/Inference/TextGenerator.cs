// Autoregressive text generation with a KV cache: encode the prompt once (prefill), then feed back one sampled
// token at a time; greedy or temperature + top-p sampling from a seeded generator.
using PluginMoE.Abstractions.Data;
using PluginMoE.Core.Model;
using PluginMoE.Tensors;
using static PluginMoE.Tensors.torch;

namespace PluginMoE.Core.Inference;

/// <summary>Continues a prompt with a <see cref="TransformerLM"/>.</summary>
public static class TextGenerator
{
    /// <summary>The continuation of <paramref name="prompt"/> (without the prompt); see <see cref="Stream"/>.</summary>
    public static string Generate(TransformerLM model, ITokenizer tokenizer, string prompt, GenerationOptions options, CancellationToken cancellationToken = default) =>
        string.Concat(Stream(model, tokenizer, prompt, options, cancellationToken).Select(t => t.Text));

    /// <summary>
    /// Generates up to <see cref="GenerationOptions.MaxTokens"/> tokens after <paramref name="prompt"/>, yielding
    /// each as it is sampled. The prompt's tokens are exactly <see cref="ITokenizer.Encode"/>'s (nothing is
    /// prepended); a prompt longer than the context keeps its last <c>MaxPositionEmbeddings</c> tokens. When the
    /// context fills up, <see cref="GenerationOptions.OnContextFull"/> decides between stopping and sliding.
    /// Deterministic: the same model, prompt and options give the same tokens. The model is switched to eval mode
    /// while enumerating and back to its previous mode afterwards; no gradients are recorded.
    /// </summary>
    /// <param name="model">The language model.</param>
    /// <param name="tokenizer">Tokenizer of the model (the byte tokenizer for PluginMoE's own models).</param>
    /// <param name="prompt">Text to continue; must encode to at least one token.</param>
    /// <param name="options">Sampling settings, validated before the first token.</param>
    /// <param name="cancellationToken">Checked before every step.</param>
    /// <exception cref="ArgumentException">The prompt is empty or encodes to ids outside the model's vocabulary.</exception>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of range.</exception>
    public static IEnumerable<GeneratedToken> Stream(TransformerLM model, ITokenizer tokenizer, string prompt, GenerationOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(tokenizer);
        ArgumentNullException.ThrowIfNull(prompt);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        // A tokenizer.json's post-processor prefix (e.g. Llama-3's BOS) goes first; its suffix (EOS, SEP) would end the text.
        int[] ids = tokenizer is Text.BpeTokenizer { PostProcessor: { } post } bpe ? [.. post.Prefix, .. bpe.Encode(prompt)] : tokenizer.Encode(prompt);
        if (ids.Length == 0)
            throw new ArgumentException("generation: the prompt is empty (it encodes to no tokens); give at least one character to continue", nameof(prompt));
        int vocab = model.Config.VocabSize;
        int bad = Array.FindIndex(ids, id => id < 0 || id >= vocab);
        if (bad >= 0)
            throw new ArgumentException($"generation: the prompt's token {bad} has id {ids[bad]}, outside the model's vocabulary 0..{vocab - 1}; use the model's tokenizer", nameof(prompt));
        return Run(model, tokenizer, ids, options, cancellationToken);
    }

    private static IEnumerable<GeneratedToken> Run(TransformerLM model, ITokenizer tokenizer, int[] prompt, GenerationOptions options, CancellationToken cancellationToken)
    {
        if (options.MaxTokens == 0) yield break;
        int context = model.Config.MaxPositionEmbeddings;
        var tokens = new List<int>(prompt.Length > context ? prompt[^context..] : prompt); // everything the model may still see
        var generator = new Generator(options.Seed);
        var text = new StreamingDetokenizer(tokenizer);
        bool wasTraining = model.training;
        model.eval();
        try
        {
            var cache = model.CreateKvCache();
            var logits = Prefill(model, cache, tokens);                           // (V) of the last position
            for (int step = 0; ; step++)
            {
                cancellationToken.ThrowIfCancellationRequested();
                int next = TokenSampler.Sample(logits, options.Temperature, options.TopP, generator);
                tokens.Add(next);
                bool full = cache.Remaining == 0;
                bool last = step == options.MaxTokens - 1 || (full && options.OnContextFull == ContextOverflow.Stop);
                string piece = text.Push(next);
                yield return new GeneratedToken(next, last ? piece + text.Flush() : piece);
                if (last) yield break;

                if (full)
                {
                    // Slide: keep the newest half (the just-sampled token included) and re-encode it from position 0.
                    tokens.RemoveRange(0, tokens.Count - Math.Max(1, context / 2));
                    cache.Reset();
                    logits = Prefill(model, cache, tokens);
                }
                else
                    logits = LastLogits(model.forward(tensor(new long[] { next }, [1, 1]), cache)); // one new position
            }
        }
        finally
        {
            model.train(wasTraining);
        }
    }

    /// <summary>Feeds <paramref name="tokens"/> into the empty cache; returns the logits of the last one.</summary>
    private static float[] Prefill(TransformerLM model, KvCache cache, List<int> tokens)
    {
        var ids = tensor(tokens.Select(t => (long)t).ToArray(), [1, tokens.Count]); // (1, T)
        return LastLogits(model.forward(ids, cache));
    }

    /// <summary>(1, T, V) logits -> the last position's (V), as float32.</summary>
    private static float[] LastLogits(ModelOutput output)
    {
        var logits = output.Logits;
        return logits[0][logits.size(1) - 1].to(ScalarType.Float32).data<float>();
    }
}
