namespace PluginMoE.Tensors.Tests.Ops;

public class PowClampTests
{
    [Fact]
    public void Pow_Scalar_MatchesMath()
    {
        var x = torch.tensor(new[] { 0.5, 2.0, 3.0 });
        foreach (var e in new[] { 0.0, 1.0, 2.0, 3.0, 0.5, -0.5, -1.0, -2.0, 1.7 })
        {
            var got = x.pow(e).data<double>();
            for (int i = 0; i < 3; i++) Assert.Equal(Math.Pow(x.data<double>()[i], e), got[i], 14);
        }
    }

    [Fact]
    public void Pow_Tensor_Broadcasts()
    {
        var a = torch.tensor(new[] { 2.0, 3.0 }, [2, 1]);
        var b = torch.tensor(new[] { 0.0, 1.0, 2.0 });
        Assert.Equal(new[] { 1.0, 2.0, 4.0, 1.0, 3.0, 9.0 }, a.pow(b).data<double>());
    }

    [Fact]
    public void Clamp_BoundsAndNaN()
    {
        var x = torch.tensor(new[] { -2f, 0.5f, 3f, float.NaN });
        var y = x.clamp(-1, 1).data<float>();
        Assert.Equal(new[] { -1f, 0.5f, 1f }, y.Take(3));
        Assert.True(float.IsNaN(y[3]));
        Assert.Equal(new[] { 0f, 0.5f, 3f }, x.clamp_min(0).data<float>().Take(3));
        Assert.Equal(new[] { -2f, 0.5f, 2f }, x.clamp_max(2).data<float>().Take(3));
        Assert.Equal(new long[] { 0, 3, 5 }, torch.tensor(new long[] { -4, 3, 9 }).clamp(0, 5).data<long>());
        Assert.Throws<ArgumentException>(() => x.clamp());
    }

    // PyTorch: a = [1., 2., 3.], b = [1., 3., 2.]; torch.maximum(a, b).sum().backward() -> a.grad [.5, 0, 1], b.grad [.5, 1, 0]
    [Fact]
    public void Maximum_Ties_SplitGradientLikePyTorch()
    {
        var a = torch.tensor(new[] { 1.0, 2.0, 3.0 }, requires_grad: true);
        var b = torch.tensor(new[] { 1.0, 3.0, 2.0 }, requires_grad: true);
        torch.maximum(a, b).sum().backward();
        Assert.Equal(new[] { 0.5, 0, 1 }, a.grad!.data<double>());
        Assert.Equal(new[] { 0.5, 1, 0 }, b.grad!.data<double>());
        a.grad = null; b.grad = null;
        torch.minimum(a, b).sum().backward();
        Assert.Equal(new[] { 0.5, 1, 0 }, a.grad!.data<double>());
        Assert.Equal(new[] { 0.5, 0, 1 }, b.grad!.data<double>());
    }

    [Fact]
    public void PowClampMinMax_Gradients_MatchFiniteDifferences_NonContiguous()
    {
        var g = new Generator(61);
        var pos = torch.rand([3, 4], ScalarType.Float64, g).add(0.5).requires_grad_();
        var e = GradCheck.Input(g, 3);
        GradCheck.Check(x => x[0].t().pow(2.5) + x[0].t().pow(-1.0) + x[0].t().pow(3.0), [pos]);
        GradCheck.Check(x => x[0].t().pow(x[1].unsqueeze(0).expand(4, 3)) + x[0].narrow(1, 0, 3).t().pow(x[1].unsqueeze(1)).sum(0), [pos, e]);
        var a = GradCheck.Input(g, 3, 4);
        var b = GradCheck.Input(g, 4);
        GradCheck.Check(x => x[0].t().clamp(-0.5, 0.7) + x[0].t().clamp_min(0.1), [a]);
        GradCheck.Check(x => x[0].maximum(x[1]) + x[0].transpose(0, 1).minimum(x[1].unsqueeze(1)).t(), [a, b]);
    }
}
