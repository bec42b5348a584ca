namespace PluginMoE.Tensors.Tests.Ops;

public class ReductionTests
{
    [Fact]
    public void MaxDim_ReturnsValuesAndFirstIndices()
    {
        var x = torch.tensor(new[] { 1f, 5f, 5f, 2f, 7f, 0f }, [2, 3]);
        var (v, i) = x.max(1);
        Assert.Equal(new[] { 5f, 7f }, v.data<float>());
        Assert.Equal(new long[] { 1, 1 }, i.data<long>());
        var (v0, i0) = x.min(0, keepdim: true);
        Assert.Equal(new long[] { 1, 3 }, v0.shape);
        Assert.Equal(new[] { 1f, 5f, 0f }, v0.data<float>());
        Assert.Equal(new long[] { 0, 0, 1 }, i0.data<long>());
    }

    [Fact]
    public void MaxDim_NaN_Propagates()
    {
        var (v, i) = torch.tensor(new[] { float.NaN, 1f, 3f }).max(0);
        Assert.True(float.IsNaN(v.item<float>()));
        Assert.Equal(0L, i.item<long>());
        var col = torch.tensor(new[] { 1f, 2f, float.NaN, 0f, 3f, 4f }, [3, 2]);
        var (cv, ci) = col.max(0);
        Assert.True(float.IsNaN(cv.data<float>()[0]));
        Assert.Equal(new long[] { 1, 2 }, ci.data<long>());
        Assert.True(float.IsNaN(torch.tensor(new[] { 1f, float.NaN }).amax([0]).item<float>()));
        var colMax = col.amax(0).data<float>();
        Assert.True(float.IsNaN(colMax[0]));
        Assert.Equal(4f, colMax[1]);
        Assert.Equal(0f, col.amin(0).data<float>()[1]);
    }

    [Fact]
    public void ArgmaxArgmin_MatchMaxMin()
    {
        var x = torch.randn([4, 7], ScalarType.Float32, new Generator(5));
        Assert.Equal(x.max(1).indices.data<long>(), x.argmax(1).data<long>());
        Assert.Equal(x.min(0).indices.data<long>(), x.argmin(0).data<long>());
        long flat = x.argmax().item<long>();
        Assert.Equal(x.max().item<float>(), x.reshape(-1).data<float>()[flat]);
        Assert.Equal(new long[] { 1, 1 }, x.argmin(keepdim: true).shape);
    }

    [Fact]
    public void AmaxAmin_OverSeveralDims_MatchManual()
    {
        var x = torch.arange(24).reshape(2, 3, 4).to(ScalarType.Float64);
        var m = x.amax([0, 2]);
        Assert.Equal(new[] { 15.0, 19.0, 23.0 }, m.data<double>());
        var n = x.amin([0, 2], keepdim: true);
        Assert.Equal(new long[] { 1, 3, 1 }, n.shape);
        Assert.Equal(new[] { 0.0, 4.0, 8.0 }, n.data<double>());
        Assert.Equal(23.0, x.max().item<double>());
        Assert.Equal(0.0, x.min().item<double>());
        Assert.Equal(new long[] { 11, 23 }, torch.arange(24).reshape(2, 12).amax(1).data<long>());
    }

    // PyTorch: a = [1., 3., 3., 2.]; a.amax().backward() and a.max().backward() both give [0, .5, .5, 0];
    // a.max(0)[0].backward() gives [0, 1, 0, 0].
    [Fact]
    public void MaxBackward_TiesSplitLikePyTorch()
    {
        var a = torch.tensor(new[] { 1.0, 3.0, 3.0, 2.0 }, requires_grad: true);
        a.amax([0]).backward();
        Assert.Equal(new[] { 0, 0.5, 0.5, 0 }, a.grad!.data<double>());
        a.grad = null;
        a.max().backward();
        Assert.Equal(new[] { 0, 0.5, 0.5, 0 }, a.grad!.data<double>());
        a.grad = null;
        a.max(0).values.backward();
        Assert.Equal(new[] { 0, 1.0, 0, 0 }, a.grad!.data<double>());
    }

    // z = [[1., 2., 3., 4.], [-1., .5, 0., 10.]]: torch.logsumexp(z, 1) and torch.logsumexp(z, (0, 1))
    [Fact]
    public void LogSumExp_MatchesPyTorch()
    {
        var z = torch.tensor(new[] { 1.0, 2.0, 3.0, 4.0, -1.0, 0.5, 0.0, 10.0 }, [2, 4]);
        var r = z.logsumexp(1).data<double>();
        Assert.Equal(4.440189698561196, r[0], 14);
        Assert.Equal(10.000136944083172, r[1], 14);
        Assert.Equal(10.003978535157335, z.logsumexp([0, 1]).item<double>(), 14);
        Assert.Equal(z.exp().sum(0).log().data<double>(), z.logsumexp(0).data<double>().Select(v => v).ToArray(), new ToleranceComparer(1e-14));
    }

    [Fact]
    public void LogSumExp_LargeAndInfiniteInputs_AreStable()
    {
        Assert.Equal(1000f + MathF.Log(2), torch.tensor(new[] { 1000f, 1000f }).logsumexp(0).item<float>(), 1e-3f);
        Assert.Equal(float.NegativeInfinity, torch.tensor(new[] { float.NegativeInfinity, float.NegativeInfinity }).logsumexp(0).item<float>());
        Assert.Equal(float.PositiveInfinity, torch.tensor(new[] { float.PositiveInfinity, 1f }).logsumexp(0).item<float>());
        var col = torch.tensor(new[] { 1e4, -1e4, 1e4, 0 }, [2, 2]).logsumexp(0).data<double>();
        Assert.Equal(1e4 + Math.Log(2), col[0], 9);
        Assert.Equal(0.0, col[1], 12);
    }

    [Fact]
    public void VarStd_MatchDefinitions()
    {
        var x = torch.tensor(new[] { 1.0, 2.0, 4.0, 7.0 });
        Assert.Equal(7.0, x.var().item<double>(), 12);           // sum sq dev = 21, / 3
        Assert.Equal(5.25, x.var(false).item<double>(), 12);
        Assert.Equal(Math.Sqrt(7), x.std().item<double>(), 12);
        var m = torch.tensor(new[] { 1.0, 3.0, 2.0, 6.0 }, [2, 2]);
        Assert.Equal(new[] { 0.5, 4.5 }, m.var(0).data<double>());
        Assert.True(double.IsNaN(torch.tensor(new[] { 3.0 }).var().item<double>()));
    }

    [Fact]
    public void Reductions_Gradients_MatchFiniteDifferences_NonContiguous()
    {
        var g = new Generator(31);
        var a = GradCheck.Input(g, 3, 4, 2);
        GradCheck.Check(x => x[0].transpose(0, 1).logsumexp(1) + x[0].permute(1, 2, 0).logsumexp([0, 2], keepdim: false).unsqueeze(0), [a]);
        GradCheck.Check(x => x[0].transpose(0, 2).amax([1, 2]) + x[0].narrow(1, 1, 2).amin(1).sum(0), [a]);
        GradCheck.Check(x => x[0].transpose(1, 2).max(1).values.sum(0) + x[0].min(2, keepdim: true).values.sum([0, 1]), [a]);
        GradCheck.Check(x => x[0].permute(2, 0, 1).var([0, 2]) + x[0].std(1).sum(1) + x[0].var(false).reshape(1), [a]);
    }

    [Fact]
    public void Max_EmptyTensor_Throws()
    {
        var ex = Assert.Throws<ArgumentException>(() => torch.zeros(0).max());
        Assert.Contains("empty", ex.Message);
        Assert.Throws<ArgumentException>(() => torch.zeros(2, 0).max(1));
    }

    private sealed class ToleranceComparer(double tol) : IEqualityComparer<double>
    {
        public bool Equals(double x, double y) => Math.Abs(x - y) <= tol * Math.Max(1, Math.Abs(x));
        public int GetHashCode(double obj) => 0;
    }
}
