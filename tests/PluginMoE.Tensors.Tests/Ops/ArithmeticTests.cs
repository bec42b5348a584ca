namespace PluginMoE.Tensors.Tests.Ops;

public class ArithmeticTests
{
    [Fact]
    public void Add_Broadcasting_MatchesManual()
    {
        var a = torch.tensor(new float[] { 1, 2, 3, 4, 5, 6 }, [2, 3]);
        var b = torch.tensor(new float[] { 10, 20, 30 });
        Assert.Equal(new float[] { 11, 22, 33, 14, 25, 36 }, (a + b).data<float>());
        var c = torch.tensor(new float[] { 100, 200 }, [2, 1]);
        Assert.Equal(new float[] { 101, 102, 103, 204, 205, 206 }, (a + c).data<float>());
    }

    [Fact]
    public void Sum_OverDims_MatchesManual()
    {
        var a = torch.arange(24).reshape(2, 3, 4).to(ScalarType.Float32);
        Assert.Equal(276f, a.sum().item<float>());
        var s1 = a.sum(1);
        Assert.Equal(new long[] { 2, 4 }, s1.shape);
        Assert.Equal(0f + 4 + 8, s1.data<float>()[0]);
        var s02 = a.sum([0, 2], keepdim: true);
        Assert.Equal(new long[] { 1, 3, 1 }, s02.shape);
        Assert.Equal((0 + 1 + 2 + 3) + (12 + 13 + 14 + 15), s02.data<float>()[0]);
    }

    [Fact]
    public void Arithmetic_Gradients_MatchFiniteDifferences()
    {
        var g = new Generator(7);
        var a = GradCheck.Input(g, 3, 4);
        var b = GradCheck.Input(g, 4);
        var c = GradCheck.Input(g, 3, 1);
        GradCheck.Check(x => (x[0] * x[1] - x[2]) / (x[1] * x[1] + 1.0) + x[0].sum(0, keepdim: true).mean(), [a, b, c]);
    }

    [Fact]
    public void Views_Gradients_MatchFiniteDifferences_NonContiguous()
    {
        var g = new Generator(8);
        var a = GradCheck.Input(g, 2, 3, 4);
        var b = GradCheck.Input(g, 4, 3);
        GradCheck.Check(x =>
            x[0].permute(2, 0, 1).reshape(4, 6).narrow(1, 1, 3) * x[1].slice(1, 0, 3, 1) +
            x[0].transpose(0, 2).select(2, 1).expand(2, 4, 3).sum(0), [a, b]);
    }
}
