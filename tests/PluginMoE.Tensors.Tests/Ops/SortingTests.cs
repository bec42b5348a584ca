// Tests for sort / argsort / topk: PyTorch 1.13 values (ties, NaN, -0), stability, gradients.
namespace PluginMoE.Tensors.Tests.Ops;

public class SortingTests
{
    // x = torch.tensor([[3., 1., 3., float('nan'), -0.0, 0.0], [2., 2., -1., 5., 2., -7.]])
    private static Tensor X() => torch.tensor(new float[] { 3, 1, 3, float.NaN, -0f, 0f, 2, 2, -1, 5, 2, -7 }, [2, 6]);

    [Fact]
    public void Sort_Descending_IsStableWithNaNFirst_MatchesPyTorch()
    {
        // torch.sort(x, dim=1, descending=True, stable=True)
        var (v, i) = X().sort(1, descending: true);
        Assert.Equal(new long[] { 3, 0, 2, 1, 4, 5, 3, 0, 1, 4, 2, 5 }, i.data<long>());
        Assert.Equal(new float[] { float.NaN, 3, 3, 1, -0f, 0f, 5, 2, 2, 2, -1, -7 }, v.data<float>());
        Assert.True(float.IsNegative(v.data<float>()[4])); // -0.0 kept its place and sign
    }

    [Fact]
    public void Sort_Ascending_IsStableWithNaNLast_MatchesPyTorch()
    {
        // torch.sort(x, dim=1, descending=False, stable=True)
        var (v, i) = X().sort();
        Assert.Equal(new long[] { 4, 5, 1, 0, 2, 3, 5, 2, 0, 1, 4, 3 }, i.data<long>());
        Assert.Equal(new float[] { -0f, 0f, 1, 3, 3, float.NaN, -7, -1, 2, 2, 2, 5 }, v.data<float>());
    }

    [Fact]
    public void Sort_AlongDim0_Int64AndFloat64_AgreeWithArgsort()
    {
        var a = torch.tensor(new long[] { 5, 1, -3, 1, 5, 0, 2, 1, 9 }, [3, 3]);
        var (v, i) = a.sort(0);
        Assert.Equal(new long[] { 1, 1, -3, 2, 1, 0, 5, 5, 9 }, v.data<long>());
        Assert.Equal(new long[] { 1, 0, 0, 2, 2, 1, 0, 1, 2 }, i.data<long>());
        Assert.Equal(i.data<long>(), a.to(ScalarType.Float64).argsort(0).data<long>());
        Assert.Equal(i.data<long>(), a.to(ScalarType.Int32).argsort(0).data<long>());
    }

    [Fact]
    public void Argsort_ManyEqualKeys_KeepsInputOrder()
    {
        var keys = torch.randint(0, 4, [5000], generator: new Generator(3));
        var order = keys.argsort().data<long>();
        var k = keys.data<long>();
        for (int t = 1; t < order.Length; t++)
        {
            Assert.True(k[order[t - 1]] <= k[order[t]]);
            if (k[order[t - 1]] == k[order[t]]) Assert.True(order[t - 1] < order[t]);
        }
        var desc = keys.argsort(descending: true).data<long>();
        for (int t = 1; t < desc.Length; t++)
            if (k[desc[t - 1]] == k[desc[t]]) Assert.True(desc[t - 1] < desc[t]);
    }

    [Fact]
    public void Sort_EveryKeyPath_MatchesStableLinqOrder()
    {
        // Small-range int64 (counting sort), float32 (packed 64-bit keys), wide int64 and float64 (128-bit keys).
        var gen = new Generator(4);
        var small = torch.randint(-3, 5, [3000], generator: gen).data<long>();
        var wideLong = small.Select(v => v * (long.MaxValue / 8)).ToArray();
        var floats = torch.randn([3000], ScalarType.Float32, gen).data<float>().Select((v, i) => i % 7 == 0 ? 0.5f : v).ToArray();
        var doubles = floats.Select(v => (double)v * 1e300).ToArray();
        AssertStable(torch.tensor(small), small.Select(v => (double)v).ToArray());
        AssertStable(torch.tensor(wideLong), wideLong.Select(v => (double)v).ToArray());
        AssertStable(torch.tensor(floats), floats.Select(v => (double)v).ToArray());
        AssertStable(torch.tensor(doubles), doubles);

        static void AssertStable(Tensor t, double[] keys)
        {
            var asc = Enumerable.Range(0, keys.Length).OrderBy(i => keys[i]).Select(i => (long)i).ToArray();
            var desc = Enumerable.Range(0, keys.Length).OrderByDescending(i => keys[i]).Select(i => (long)i).ToArray();
            Assert.Equal(asc, t.argsort().data<long>());
            Assert.Equal(desc, t.argsort(descending: true).data<long>());
        }
    }

    [Fact]
    public void Topk_AlongDim0_TiesGoToLowerIndex_MatchesPyTorch()
    {
        // y = torch.tensor([[1., 5., 5.], [4., 2., 6.], [4., 9., 0.], [3., 9., 6.]]); torch.topk(y, 2, dim=0)
        var y = torch.tensor(new float[] { 1, 5, 5, 4, 2, 6, 4, 9, 0, 3, 9, 6 }, [4, 3]);
        var (v, i) = y.topk(2, dim: 0);
        Assert.Equal(new float[] { 4, 9, 6, 4, 9, 6 }, v.data<float>());
        Assert.Equal(new long[] { 1, 2, 1, 2, 3, 3 }, i.data<long>());
        // torch.topk(y, 2, dim=1, largest=False)
        var (vs, js) = y.topk(2, largest: false);
        Assert.Equal(new float[] { 1, 5, 2, 4, 0, 4, 3, 6 }, vs.data<float>());
        Assert.Equal(new long[] { 0, 1, 1, 0, 2, 0, 0, 2 }, js.data<long>());
    }

    [Fact]
    public void Topk_LargeK_UsesSortPathAndAgreesWithSort()
    {
        var x = torch.randn([3, 200], ScalarType.Float32, new Generator(5));
        var (v, i) = x.topk(40);
        var (sv, si) = x.sort(descending: true);
        Assert.Equal(sv.narrow(1, 0, 40).data<float>(), v.data<float>());
        Assert.Equal(si.narrow(1, 0, 40).data<long>(), i.data<long>());
        var (v3, i3) = x.topk(3);
        Assert.Equal(sv.narrow(1, 0, 3).data<float>(), v3.data<float>());
        Assert.Equal(si.narrow(1, 0, 3).data<long>(), i3.data<long>());
    }

    [Fact]
    public void Topk_KOutOfRange_ThrowsNamingK()
    {
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => torch.zeros(2, 4).topk(5));
        Assert.Contains("topk", ex.Message);
        Assert.Contains("5", ex.Message);
    }

    [Fact]
    public void Topk_Gradient_MatchesFiniteDifferences_NonContiguous()
    {
        var x = GradCheck.Input(new Generator(31), 5, 4);
        GradCheck.Check(a => a[0].t().topk(2).values, [x]);
        GradCheck.Check(a => a[0].topk(3, dim: 0, largest: false).values, [x]);
    }

    [Fact]
    public void Sort_Gradient_MatchesFiniteDifferences_NonContiguous()
    {
        var x = GradCheck.Input(new Generator(32), 3, 4, 2);
        GradCheck.Check(a => a[0].permute(2, 0, 1).sort(1, descending: true).values, [x]);
    }
}
