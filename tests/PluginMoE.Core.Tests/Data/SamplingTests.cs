// Tests of temperature sampling weights, sequential (packed) windows, and resume at the saved data position.
using PluginMoE.Core.Data;

namespace PluginMoE.Core.Tests.Data;

public sealed class SamplingTests
{
    private static readonly string[] Domains = ["a", "b"];

    [Fact]
    public void Probabilities_Temperature_FollowsPowerOfOneOverTau()
    {
        var sizes = new Dictionary<string, long> { ["a"] = 900, ["b"] = 100 };
        AssertClose([0.9, 0.1], SamplingWeights.Probabilities(Domains, sizes, null, 1.0), 12);
        // τ = 2: sqrt(900) : sqrt(100) = 30 : 10.
        AssertClose([0.75, 0.25], SamplingWeights.Probabilities(Domains, sizes, null, 2.0), 12);
        AssertClose([0.5, 0.5], SamplingWeights.Probabilities(Domains, sizes, null, 1e9), 6);
        var weights = new Dictionary<string, double> { ["a"] = 1, ["b"] = 0 };
        AssertClose([1.0, 0.0], SamplingWeights.Probabilities(Domains, sizes, weights, 5.0), 12);
    }

    [Fact]
    public void Probabilities_BadTemperature_IsRefusedSayingWhatWorks() =>
        Assert.Contains("sampling temperature must be a positive finite number (1 keeps the weights)",
            Assert.Throws<ArgumentOutOfRangeException>(() => SamplingWeights.Probabilities(Domains, new Dictionary<string, long> { ["a"] = 1, ["b"] = 1 }, null, 0)).Message,
            StringComparison.Ordinal);

    private static void AssertClose(double[] expected, double[] actual, int digits)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++) Assert.Equal(expected[i], actual[i], digits);
    }

    private static TokenCorpus Corpus() => TokenCorpus.FromStreams(new Dictionary<string, int[]>
    {
        ["a"] = [.. Enumerable.Range(0, 50)],
        ["b"] = [.. Enumerable.Range(1000, 35)],
    });

    [Fact]
    public void Sequential_WindowsArePackedTApartAndWrapAtTheEnd()
    {
        var sampler = new MixedDomainSampler(Corpus(), 3, 10, seed: 5, new SamplingOptions { Order = WindowOrder.Sequential });
        var starts = new Dictionary<string, List<long>> { ["a"] = [], ["b"] = [] };
        for (int i = 0; i < 8; i++)
        {
            var batch = sampler.Next();
            var x = batch.Inputs.data<long>();
            for (int r = 0; r < 3; r++) starts[batch.Domains[r]].Add(x[r * 10]);
        }
        // a has 50 tokens: windows of 11 start at 0, 10, 20, 30 (30 + 11 > 50 stops at 40), then wrap to 0.
        Assert.Equal([0L, 10, 20, 30, 0, 10], starts["a"].Take(6));
        Assert.Equal([1000L, 1010, 1020, 1000], starts["b"].Take(4));
        Assert.NotNull(sampler.State.Cursors);
    }

    [Fact]
    public void Sequential_ResumeFromSavedState_ContinuesAtTheSavedDataPosition()
    {
        var options = new SamplingOptions { Order = WindowOrder.Sequential, Temperature = 2 };
        var uninterrupted = new MixedDomainSampler(Corpus(), 4, 8, seed: 9, options);
        var expected = Enumerable.Range(0, 7).Select(_ => uninterrupted.Next().Inputs.data<long>().ToArray()).ToList();

        var first = new MixedDomainSampler(Corpus(), 4, 8, seed: 9, options);
        for (int i = 0; i < 3; i++) first.Next();
        var saved = System.Text.Json.JsonSerializer.Serialize(first.State);        // as trainer_state.json holds it
        var resumed = new MixedDomainSampler(Corpus(), 4, 8, seed: 123, options);
        resumed.Restore(System.Text.Json.JsonSerializer.Deserialize<SamplerState>(saved)!);
        Assert.Equal(3, resumed.Step);
        for (int i = 3; i < 7; i++) Assert.Equal(expected[i], resumed.Next().Inputs.data<long>().ToArray());
    }

    [Fact]
    public void Sequential_RestoreFromRandomOrderState_IsRefusedSayingWhy()
    {
        var random = new MixedDomainSampler(Corpus(), 2, 8, seed: 1);
        var sequential = new MixedDomainSampler(Corpus(), 2, 8, seed: 1, new SamplingOptions { Order = WindowOrder.Sequential });
        Assert.Equal("the saved sampler state has no data position (it was written with random window order); resume with the same Order",
            Assert.Throws<ArgumentException>(() => sequential.Restore(random.State)).Message);
    }
}
