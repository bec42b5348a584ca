namespace PluginMoE.Tensors.Tests.Ops;

public class ComparisonTests
{
    [Fact]
    public void Comparisons_Broadcast_ReturnBool()
    {
        var a = torch.tensor(new[] { 1f, 2f, 3f, 4f, 5f, 6f }, [2, 3]);
        var b = torch.tensor(new[] { 2f, 2f, 7f });
        var lt = a.lt(b);
        Assert.Equal(ScalarType.Bool, lt.dtype);
        Assert.Equal(new[] { true, false, true, false, false, true }, lt.data<bool>());
        Assert.Equal(new[] { false, true, false, false, false, false }, a.eq(b).data<bool>());
        Assert.Equal(new[] { true, false, true, true, true, true }, a.ne(b).data<bool>());
        Assert.Equal(new[] { true, true, true, false, false, true }, a.le(b).data<bool>());
        Assert.Equal(new[] { false, false, false, true, true, false }, a.gt(b).data<bool>());
        Assert.Equal(new[] { false, true, false, true, true, false }, a.ge(b).data<bool>());
        Assert.Equal(new[] { false, false, true, true, true, true }, a.ge(3).data<bool>());
        Assert.Equal(new[] { true, false }, torch.tensor(new long[] { 1, 2 }).eq(torch.tensor(new[] { 1.0, 2.5 })).data<bool>());
    }

    [Fact]
    public void Comparisons_NaN_FollowIeee()
    {
        var x = torch.tensor(new[] { float.NaN, 1f });
        Assert.Equal(new[] { false, true }, x.eq(x).data<bool>());
        Assert.Equal(new[] { true, false }, x.ne(x).data<bool>());
        Assert.Equal(new[] { true, false }, x.isnan().data<bool>());
        Assert.Equal(new[] { false, true, false }, torch.tensor(new[] { float.PositiveInfinity, 0f, float.NaN }).isfinite().data<bool>());
        Assert.Equal(new[] { true, false, false }, torch.tensor(new[] { float.NegativeInfinity, 0f, float.NaN }).isinf().data<bool>());
        Assert.Equal(new[] { true, true }, torch.tensor(new long[] { 1, 2 }).isfinite().data<bool>());
    }

    [Fact]
    public void Logical_AnyAll_MatchManual()
    {
        var p = torch.tensor(new[] { true, true, false, false });
        var q = torch.tensor(new[] { true, false, true, false });
        Assert.Equal(new[] { true, false, false, false }, p.logical_and(q).data<bool>());
        Assert.Equal(new[] { true, true, true, false }, p.logical_or(q).data<bool>());
        Assert.Equal(new[] { false, true, true, false }, p.logical_xor(q).data<bool>());
        Assert.Equal(new[] { false, false, true, true }, p.logical_not().data<bool>());
        Assert.True(p.any().item<bool>());
        Assert.False(p.all().item<bool>());
        var m = torch.tensor(new[] { 0f, 1f, 0f, 0f, 2f, 3f }, [2, 3]);
        Assert.Equal(new[] { false, true, true }, m.any(0).data<bool>());
        Assert.Equal(new[] { false, false }, m.all(1).data<bool>());
        Assert.True(torch.zeros(0).all().item<bool>());
        Assert.False(torch.zeros(0).any().item<bool>());
    }

    [Fact]
    public void Where_BroadcastsAllThree()
    {
        var c = torch.tensor(new[] { true, false, true }, [3, 1]);
        var a = torch.tensor(new[] { 1.0, 2.0 });
        var r = torch.where(c, a, torch.tensor(new[] { -1.0 }));
        Assert.Equal(new long[] { 3, 2 }, r.shape);
        Assert.Equal(new[] { 1.0, 2.0, -1.0, -1.0, 1.0, 2.0 }, r.data<double>());
        Assert.Equal(new[] { 1.0, 2.0, 0, 0, 1.0, 2.0 }, torch.where(c, a, 0).data<double>());
    }

    [Fact]
    public void MaskedFill_FillsMaskedPositions()
    {
        var x = torch.arange(6).reshape(2, 3).to(ScalarType.Float32);
        var mask = torch.tensor(new[] { true, false, true });
        var r = x.masked_fill(mask, float.NegativeInfinity);
        Assert.Equal(new[] { float.NegativeInfinity, 1f, float.NegativeInfinity, float.NegativeInfinity, 4f, float.NegativeInfinity }, r.data<float>());
        var causal = torch.ones(3, 3).softmax(1).masked_fill(torch.ones([3, 3], ScalarType.Bool).logical_not(), 0);
        Assert.Equal(ScalarType.Float32, causal.dtype);
    }

    [Fact]
    public void MaskedFill_BadMask_FailsWithShapes()
    {
        var x = torch.zeros(2, 3);
        var ex = Assert.Throws<ArgumentException>(() => x.masked_fill(torch.ones([4], ScalarType.Bool), 1));
        Assert.Contains("[4]", ex.Message);
        Assert.Contains("[2, 3]", ex.Message);
        Assert.Throws<ArgumentException>(() => x.masked_fill(torch.ones(3), 1));
        Assert.Throws<ArgumentException>(() => torch.where(torch.ones(3), x, x));
    }

    [Fact]
    public void WhereAndMaskedFill_Gradients_MatchFiniteDifferences_NonContiguous()
    {
        var g = new Generator(51);
        var a = GradCheck.Input(g, 3, 4);
        var b = GradCheck.Input(g, 4);
        var c = torch.tensor(new[] { true, false, false, true, true, false, true, false, false, true, true, true }, [4, 3]);
        GradCheck.Check(x => torch.where(c.t(), x[0], x[1]), [a, b]);
        GradCheck.Check(x => torch.where(c, x[0].t(), x[1].unsqueeze(1).narrow(0, 0, 4)), [a, b]);
        GradCheck.Check(x => x[0].t().masked_fill(torch.tensor(new[] { false, true, false }), -3.0) * 2.0, [a]);
    }
}
