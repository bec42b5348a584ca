// Tests of the mixed-domain training sampler: weights, windows, determinism and resume.
using PluginMoE.Core.Data;

namespace PluginMoE.Core.Tests.Data;

public sealed class MixedDomainSamplerTests
{
    // Each domain's stream holds a recognisable token range so that rows can be traced to their domain.
    private static TokenCorpus Corpus() => TokenCorpus.FromStreams(new Dictionary<string, int[]>
    {
        ["a"] = [.. Enumerable.Range(0, 100)],
        ["b"] = [.. Enumerable.Range(100, 60)],
        ["c"] = [.. Enumerable.Range(200, 40)],
    });

    [Fact]
    public void Next_DomainProportions_FollowTheWeights()
    {
        var sampler = new MixedDomainSampler(Corpus(), 64, 8, seed: 1, new Dictionary<string, double> { ["a"] = 1, ["b"] = 3, ["c"] = 0 });
        var counts = new Dictionary<string, int> { ["a"] = 0, ["b"] = 0, ["c"] = 0 };
        for (int i = 0; i < 100; i++)
            foreach (var d in sampler.Next().Domains) counts[d]++;
        Assert.Equal(0, counts["c"]);
        Assert.InRange(counts["b"] / 6400.0, 0.73, 0.77);       // expected 0.75, sd ~0.005
    }

    [Fact]
    public void Next_Rows_AreContiguousWindowsOfOneDomainWithShiftedTargets()
    {
        var sampler = new MixedDomainSampler(Corpus(), 16, 10, seed: 2);
        var batch = sampler.Next();
        Assert.Equal([16L, 10L], batch.Inputs.shape);
        var x = batch.Inputs.data<long>();
        var y = batch.Targets.data<long>();
        for (int r = 0; r < 16; r++)
        {
            long lo = batch.Domains[r] switch { "a" => 0, "b" => 100, _ => 200 };
            long len = batch.Domains[r] switch { "a" => 100, "b" => 60, _ => 40 };
            for (int t = 0; t < 10; t++)
            {
                Assert.Equal(x[r * 10] + t, x[r * 10 + t]);
                Assert.Equal(x[r * 10 + t] + 1, y[r * 10 + t]);
            }
            Assert.InRange(x[r * 10], lo, lo + len - 11);
        }
    }

    [Fact]
    public void Restore_ContinuesWithExactlyTheSameBatches()
    {
        var straight = new MixedDomainSampler(Corpus(), 4, 8, seed: 3);
        straight.Next(); straight.Next();
        var saved = straight.State;
        var expected = straight.Next().Inputs.data<long>();

        var resumed = new MixedDomainSampler(Corpus(), 4, 8, seed: 999);
        resumed.Restore(saved);
        Assert.Equal(expected, resumed.Next().Inputs.data<long>());
        Assert.Equal(3, resumed.Step);
    }

    [Fact]
    public void Constructor_DomainShorterThanOneWindow_FailsNamingIt()
    {
        var e = Assert.Throws<ArgumentException>(() => new MixedDomainSampler(Corpus(), 4, 50, seed: 0));
        Assert.Contains("domain 'c' has 40 training tokens, fewer than one window of 51", e.Message);
    }

    [Fact]
    public void Constructor_WeightForUnknownDomain_FailsListingTheDomains()
    {
        var e = Assert.Throws<ArgumentException>(() => new MixedDomainSampler(Corpus(), 4, 8, 0, new Dictionary<string, double> { ["z"] = 1 }));
        Assert.Contains("domain 'z', which has no training data; domains: a, b, c", e.Message);
    }
}
