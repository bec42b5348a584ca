// The KV-cache forward: prompt prefill plus token-by-token decoding gives the logits of the full forward over the
// whole sequence (dense, grouped-/multi-query and MoE), and misuse fails with messages that say what to do.
using PluginMoE.Core.Inference;
using PluginMoE.Core.Model;
using PluginMoE.Tensors;
using Xunit.Abstractions;
using static PluginMoE.Core.Tests.Inference.InferenceModels;
using static PluginMoE.Tensors.torch;

namespace PluginMoE.Core.Tests.Inference;

public sealed class KvCacheTests(ITestOutputHelper output)
{
    /// <summary>Prefills <paramref name="prompt"/> tokens then decodes the rest one by one; returns the largest difference from the full forward at every step.</summary>
    private static double WorstDifference(TransformerLM model, int[] tokens, int prompt)
    {
        var cache = model.CreateKvCache();
        var prefill = model.forward(tensor(tokens[..prompt].Select(t => (long)t).ToArray(), [1, prompt]), cache).Logits; // (1, prompt, V)
        Assert.Equal(prompt, cache.Length);
        double worst = 0;
        for (int p = 0; p < prompt; p++) // every prompt position, not only the last
            worst = Math.Max(worst, MaxAbs(FullLastLogits(model, tokens[..(p + 1)]), prefill[0][p].to(ScalarType.Float64).data<double>()));
        for (int n = prompt; n < tokens.Length; n++)
        {
            var step = model.forward(tensor(new long[] { tokens[n] }, [1, 1]), cache).Logits; // (1, 1, V)
            worst = Math.Max(worst, MaxAbs(FullLastLogits(model, tokens[..(n + 1)]), step[0][0].to(ScalarType.Float64).data<double>()));
        }
        Assert.Equal(tokens.Length, cache.Length);
        return worst;
    }

    private static double MaxAbs(double[] a, double[] b) => a.Zip(b, (x, y) => Math.Abs(x - y)).Max();

    [Theory]
    [MemberData(nameof(ConfigNames), MemberType = typeof(InferenceModels))]
    public void Decode_PromptThenTokens_GivesTheFullForwardLogitsInFloat32(string config)
    {
        var model = Build(ByName(config));
        double worst = WorstDifference(model, Tokens(13, 256, 7), prompt: 5);
        output.WriteLine($"{config}: largest logit difference {worst:G3}");
        Assert.True(worst <= 1e-5, $"{config}: cached logits differ from the full forward by {worst:G3}");
    }

    [Theory]
    [MemberData(nameof(ConfigNames), MemberType = typeof(InferenceModels))]
    public void Decode_InFloat64_MatchesTheFullForwardToRounding(string config)
    {
        var model = Build(ByName(config), ScalarType.Float64);
        double worst = WorstDifference(model, Tokens(10, 256, 8), prompt: 3);
        output.WriteLine($"{config}: largest logit difference {worst:G3}");
        Assert.True(worst <= 1e-12, $"{config}: cached float64 logits differ from the full forward by {worst:G3}");
    }

    [Fact]
    public void Decode_UpToTheLastPosition_MatchesTheFullForward()
    {
        var model = Build(Dense);
        int p = Dense.MaxPositionEmbeddings;
        Assert.True(WorstDifference(model, Tokens(p, 256, 9), prompt: p - 2) <= 1e-5);
    }

    [Fact]
    public void Prefill_InChunks_EqualsOnePrefill()
    {
        var model = Build(MoeModel);
        var ids = tensor(Tokens(9, 256, 10).Select(t => (long)t).ToArray(), [1, 9]);
        var once = model.forward(ids, model.CreateKvCache()).Logits[0][8].data<float>();
        var cache = model.CreateKvCache();
        model.forward(ids.narrow(1, 0, 4), cache);
        model.forward(ids.narrow(1, 4, 3), cache);
        var chunked = model.forward(ids.narrow(1, 7, 2), cache).Logits[0][1].data<float>();
        Assert.Equal(9, cache.Length);
        Assert.Equal(once.Length, chunked.Length);
        Assert.True(once.Zip(chunked, (a, b) => Math.Abs(a - b)).Max() <= 1e-5);
    }

    [Fact]
    public void Decode_BatchOfTwoSequences_MatchesEachSequenceAlone()
    {
        var model = Build(GroupedQuery);
        var a = Tokens(6, 256, 11);
        var b = Tokens(6, 256, 12);
        var cache = model.CreateKvCache(batchSize: 2);
        var ids = tensor(a.Concat(b).Select(t => (long)t).ToArray(), [2, 6]);
        model.forward(ids.narrow(1, 0, 5), cache);
        var last = model.forward(ids.narrow(1, 5, 1), cache).Logits;        // (2, 1, V)
        Assert.True(MaxAbs(FullLastLogits(model, a), last[0][0].to(ScalarType.Float64).data<double>()) <= 1e-5);
        Assert.True(MaxAbs(FullLastLogits(model, b), last[1][0].to(ScalarType.Float64).data<double>()) <= 1e-5);
    }

    [Fact]
    public void Forward_WithCache_RecordsNoGradients()
    {
        var model = Build(Dense);
        var logits = model.forward(tensor(new long[] { 1, 2, 3 }, [1, 3]), model.CreateKvCache()).Logits;
        Assert.False(logits.requires_grad);
    }

    [Fact]
    public void Reset_EmptiesTheCacheForANewSequence()
    {
        var model = Build(Dense);
        var cache = model.CreateKvCache();
        var ids = tensor(new long[] { 5, 6, 7 }, [1, 3]);
        var first = model.forward(ids, cache).Logits.data<float>();
        cache.Reset();
        Assert.Equal(0, cache.Length);
        Assert.Equal(first, model.forward(ids, cache).Logits.data<float>());
    }

    [Fact]
    public void Forward_PastTheCapacity_SaysHowManyPositionsAreUsed()
    {
        var model = Build(Dense);
        var cache = model.CreateKvCache(capacity: 4);
        model.forward(tensor(new long[] { 1, 2, 3 }, [1, 3]), cache);
        var e = Assert.Throws<InvalidOperationException>(() => model.forward(tensor(new long[] { 4, 5 }, [1, 2]), cache));
        Assert.Equal("KvCache: 2 new token(s) do not fit: 3 of 4 positions are used; start a new cache (Reset) or keep fewer tokens of context", e.Message);
        Assert.Equal(3, cache.Length); // a refused call leaves the cache as it was
    }

    [Fact]
    public void Forward_BatchDifferentFromTheCache_NamesBothSizes()
    {
        var model = Build(Dense);
        var e = Assert.Throws<ArgumentException>(() => model.forward(tensor(new long[] { 1, 2 }, [2, 1]), model.CreateKvCache()));
        Assert.StartsWith("TransformerLM: ids hold 2 sequences but the cache was made for a batch of 1", e.Message);
    }

    [Fact]
    public void Constructor_CapacityBeyondTheModelsPositions_IsRefused()
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => new KvCache(Dense, capacity: 25));
        Assert.StartsWith("KvCache: capacity must be between 1 and the model's MaxPositionEmbeddings (24); rotary positions beyond it do not exist", e.Message);
    }
}
