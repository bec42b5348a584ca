// Tests of the fixed validation windows.
using PluginMoE.Core.Data;

namespace PluginMoE.Core.Tests.Data;

public sealed class ValidationSetTests
{
    [Fact]
    public void Build_WindowsOverlapByOneToken_SoEveryTokenIsPredictedOnce()
    {
        var corpus = TokenCorpus.FromStreams(new Dictionary<string, int[]> { ["a"] = [.. Enumerable.Range(0, 25)], ["short"] = [1, 2, 3] });
        var set = ValidationSet.Build(corpus, 8);
        Assert.Equal(["a"], set.Domains);
        var batch = Assert.Single(set.Batches("a", 10));
        Assert.Equal([3L, 8L], batch.Inputs.shape);
        Assert.Equal(Enumerable.Range(1, 24).Select(i => (long)i), batch.Targets.data<long>());
    }

    [Fact]
    public void Build_CapOnWindows_KeepsEvenlySpacedOnes()
    {
        var corpus = TokenCorpus.FromStreams(new Dictionary<string, int[]> { ["a"] = [.. Enumerable.Range(0, 101)] });
        var set = ValidationSet.Build(corpus, 10, maxWindowsPerDomain: 5);
        var starts = set.Batches("a", 2).SelectMany(b => b.Inputs.data<long>().Chunk(10).Select(w => w[0]));
        Assert.Equal([0L, 20, 40, 60, 80], starts);
    }
}
