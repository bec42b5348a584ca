// Scoring (the `pluginmoe score` semantics): equals a naive per-window loop, a hand-computed bigram model, and
// the NLL of the PyTorch reference logits of the HF fixture checkpoints; errors say what would work.
using PluginMoE.Core.Checkpoints;
using PluginMoE.Core.Inference;
using PluginMoE.Core.Model;
using PluginMoE.Tensors;
using PluginMoE.Tensors.Serialization;
using Xunit.Abstractions;
using static PluginMoE.Core.Tests.Inference.InferenceModels;
using static PluginMoE.Tensors.torch;

namespace PluginMoE.Core.Tests.Inference;

public sealed class ScorerTests(ITestOutputHelper output)
{
    /// <summary>The reference: one full forward per window, log-softmax in float64, token by token.</summary>
    private static (long Tokens, double MeanNll) Naive(TransformerLM model, int[] tokens, int context)
    {
        double nll = 0;
        long count = 0;
        for (int start = 0; start < tokens.Length; start += context)
        {
            var window = tokens[start..Math.Min(tokens.Length, start + context)];
            for (int i = 1; i < window.Length; i++)
            {
                nll -= LogSoftmax(FullLastLogits(model, window[..i]))[window[i]];
                count++;
            }
        }
        return (count, nll / count);
    }

    [Theory]
    [InlineData("dense", 50, 8)]   // 6 full windows and a 2-token tail
    [InlineData("moe", 49, 8)]     // a 1-token tail predicts nothing
    [InlineData("gqa", 24, 24)]    // one window of the model's full context
    [InlineData("mqa", 30, 7)]
    public void Score_EqualsANaivePerWindowLoop(string config, int length, int context)
    {
        var model = Build(ByName(config));
        var tokens = Tokens(length, 256, 21);
        var (count, mean) = Naive(model, tokens, context);
        var result = Scorer.Score(model, tokens, context, batchSize: 4);
        Assert.Equal(count, result.Tokens);
        Assert.Equal(mean, result.MeanNll, 1e-5);
        Assert.Equal(Math.Exp(result.MeanNll), result.Perplexity);
    }

    [Fact]
    public void Score_DefaultContext_IsTheModelsMaxPositions()
    {
        var model = Build(Dense);
        var tokens = Tokens(60, 256, 22);
        var result = Scorer.Score(model, tokens);
        Assert.Equal(60 - 3, result.Tokens); // windows of 24, 24 and 12
        Assert.Equal(Scorer.Score(model, tokens, 24).MeanNll, result.MeanNll);
    }

    [Fact]
    public void Score_BatchSize_DoesNotChangeTheResult()
    {
        var model = Build(MoeModel);
        var tokens = Tokens(70, 256, 23);
        Assert.Equal(Scorer.Score(model, tokens, 6, batchSize: 1).MeanNll, Scorer.Score(model, tokens, 6, batchSize: 16).MeanNll, 1e-6);
    }

    [Fact]
    public void Score_HandBuiltBigramModel_GivesTheHandComputedNll()
    {
        // Blocks add nothing (all their weights are 0), embeddings are one-hot and the head scores "next = current"
        // with logit a: p(same) = e^a / (e^a + V - 1), every other token 1 / (e^a + V - 1).
        const int v = 8;
        const double a = 2.0;
        var config = Dense with { VocabSize = v, HiddenSize = 8, NumAttentionHeads = 2, NumKeyValueHeads = 2, NumHiddenLayers = 1, MaxPositionEmbeddings = 8 };
        var model = Build(config);
        double rms = Math.Sqrt(1.0 / 8 + config.RmsNormEps); // RMS of a one-hot row, as RMSNorm computes it
        using (no_grad())
        {
            foreach (var (name, t) in model.state_dict())
                if (name.StartsWith("model.layers.", StringComparison.Ordinal)) t.zero_();
            model.state_dict()["model.embed_tokens.weight"].copy_(eye(v));
            model.state_dict()["lm_head.weight"].copy_(eye(v) * (a * rms));
        }
        int[] tokens = [1, 1, 1, 2, 2, 3, 3, 3, 3, 0];
        // context 4: [1 1 1 2] [2 3 3 3] [3 0] -> 4 repeats, 3 changes over 7 predicted tokens.
        double same = Math.Log(Math.Exp(a) + v - 1) - a, other = Math.Log(Math.Exp(a) + v - 1);
        var result = Scorer.Score(model, tokens, 4);
        Assert.Equal(7, result.Tokens);
        Assert.Equal((4 * same + 3 * other) / 7, result.MeanNll, 1e-5);
    }

    [Theory]
    [InlineData("llama")]
    [InlineData("mixtral")]
    [InlineData("deepseek")]
    public void Score_HfFixture_MatchesTheNllOfThePyTorchReferenceLogits(string name)
    {
        string folder = Path.Combine(AppContext.BaseDirectory, "Fixtures", "hf");
        var model = TransformerLM.FromCheckpoint(CheckpointStore.Load(Path.Combine(folder, name)), TestCatalog.Create());
        var reference = SafeTensors.Load(Path.Combine(folder, name + ".reference.safetensors"));
        var ids = reference["input_ids"];                                        // (2, 8)
        var logits = reference["logits"].to(ScalarType.Float64);                 // (2, 8, 256)
        long rows = ids.size(0), t = ids.size(1);
        double nll = 0;
        for (int r = 0; r < rows; r++)
            for (int i = 0; i + 1 < t; i++)
                nll -= LogSoftmax(logits[r][i].data<double>())[ids[r][i + 1].ToInt64()];
        double expected = nll / (rows * (t - 1));

        // The two rows back to back, cut into windows of 8, are exactly the reference batch.
        var result = Scorer.Score(model, [.. ids.reshape(-1).data<long>().Select(x => (int)x)], (int)t);
        output.WriteLine($"{name}: mean NLL {result.MeanNll:F6}, reference {expected:F6}");
        Assert.Equal(rows * (t - 1), result.Tokens);
        Assert.Equal(expected, result.MeanNll, 1e-5);
    }

    [Fact]
    public void Score_ContextBeyondTheModel_NamesTheAllowedRange()
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => Scorer.Score(Build(Dense), Tokens(10, 256, 1), 25));
        Assert.StartsWith("score: the context (window length) must be between 2 and the model's max positions (24), got 25", e.Message);
    }

    [Fact]
    public void Score_OneToken_SaysTwoAreNeeded()
    {
        var e = Assert.Throws<ArgumentException>(() => Scorer.Score(Build(Dense), [65]));
        Assert.StartsWith("score: the text has 1 token(s); at least 2 are needed (the first token of a window is not predicted)", e.Message);
    }

    [Fact]
    public void Score_IdOutsideTheVocabulary_NamesItsPosition()
    {
        var e = Assert.Throws<ArgumentException>(() => Scorer.Score(Build(Dense with { VocabSize = 100 }), [1, 2, 300]));
        Assert.StartsWith("score: token 2 has id 300, outside the model's vocabulary 0..99; use the model's tokenizer", e.Message);
    }
}
