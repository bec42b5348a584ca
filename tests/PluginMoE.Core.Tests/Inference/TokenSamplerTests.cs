// Next-token selection: greedy argmax, seeded determinism, the nucleus cut and sampling frequencies that follow
// softmax(logits / T).
using PluginMoE.Core.Inference;
using PluginMoE.Tensors;

namespace PluginMoE.Core.Tests.Inference;

public class TokenSamplerTests
{
    private static readonly float[] Logits = [.. new[] { 0.5, 0.3, 0.15, 0.05 }.Select(p => (float)Math.Log(p))];

    private static double[] Frequencies(float[] logits, double temperature, double topP, int draws = 20000)
    {
        var generator = new Generator(1);
        var counts = new double[logits.Length];
        for (int i = 0; i < draws; i++) counts[TokenSampler.Sample(logits, temperature, topP, generator)]++;
        return [.. counts.Select(c => c / draws)];
    }

    [Fact]
    public void Sample_TemperatureZero_PicksTheHighestLogitAndTheLowestIdOnTies()
    {
        var generator = new Generator(0);
        Assert.Equal(2, TokenSampler.Sample([0f, 1f, 3f, -2f], 0, 1, generator));
        Assert.Equal(1, TokenSampler.Sample([0f, 3f, 3f], 0, 1, generator));
        Assert.Equal(0UL, generator.Offset); // greedy draws no random numbers
    }

    [Fact]
    public void Sample_TopPOne_DrawsWithTheSoftmaxProbabilities()
    {
        var f = Frequencies(Logits, 1, 1);
        double[] expected = [0.5, 0.3, 0.15, 0.05];
        for (int i = 0; i < 4; i++) Assert.InRange(f[i], expected[i] - 0.015, expected[i] + 0.015);
    }

    [Fact]
    public void Sample_Temperature_SharpensOrFlattensLikeSoftmaxOfScaledLogits()
    {
        foreach (double t in new[] { 0.5, 2.0 })
        {
            var w = Logits.Select(l => Math.Exp(l / t)).ToArray();
            var f = Frequencies(Logits, t, 1);
            for (int i = 0; i < 4; i++) Assert.InRange(f[i], w[i] / w.Sum() - 0.015, w[i] / w.Sum() + 0.015);
        }
    }

    [Fact]
    public void Sample_TopP_KeepsTheSmallestNucleusAndRenormalises()
    {
        // 0.5 + 0.3 = 0.8 >= 0.7: tokens 2 and 3 are cut, 0 and 1 keep the ratio 5 : 3.
        var f = Frequencies(Logits, 1, 0.7);
        Assert.Equal(0, f[2]);
        Assert.Equal(0, f[3]);
        Assert.InRange(f[0], 0.625 - 0.015, 0.625 + 0.015);
    }

    [Fact]
    public void Sample_TinyTopP_AlwaysKeepsTheMostLikelyToken()
    {
        Assert.Equal(1.0, Frequencies(Logits, 1, 1e-9, draws: 200)[0]);
    }

    [Fact]
    public void Sample_SameSeed_GivesTheSameSequence()
    {
        int[] Draw(long seed) { var g = new Generator(seed); return [.. Enumerable.Range(0, 50).Select(_ => TokenSampler.Sample(Logits, 1, 0.9, g))]; }
        Assert.Equal(Draw(4), Draw(4));
        Assert.NotEqual(Draw(4), Draw(5));
    }

    [Fact]
    public void Sample_NaNLogit_SaysTheModelOutputIsNotFinite()
    {
        var e = Assert.Throws<InvalidOperationException>(() => TokenSampler.Sample([0f, float.NaN], 1, 1, new Generator(0)));
        Assert.Equal("TokenSampler: the model produced a non-finite logit (NaN) for token 1; the checkpoint may be corrupt or diverged", e.Message);
    }

    [Fact]
    public void Sample_NegativeInfinity_NeverDrawsThatToken()
    {
        var f = Frequencies([0f, float.NegativeInfinity, 0f], 1, 1, draws: 500);
        Assert.Equal(0, f[1]);
    }
}
