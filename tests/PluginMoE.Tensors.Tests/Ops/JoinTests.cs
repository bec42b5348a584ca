// Tests for cat and stack: values, error messages and gradients (including non-contiguous inputs).
namespace PluginMoE.Tensors.Tests.Ops;

public class JoinTests
{
    [Fact]
    public void Cat_AlongDim1_MatchesManual()
    {
        var a = torch.tensor(new float[] { 1, 2, 3, 4 }, [2, 2]);
        var b = torch.tensor(new float[] { 5, 6 }, [2, 1]);
        var r = torch.cat([a, b, a.t()], dim: -1);
        Assert.Equal(new long[] { 2, 5 }, r.shape);
        Assert.Equal(new float[] { 1, 2, 5, 1, 3, 3, 4, 6, 2, 4 }, r.data<float>());
    }

    [Fact]
    public void Cat_SkipsLegacyEmptyTensors()
    {
        var r = torch.cat([torch.zeros(0), torch.ones(2, 3), torch.zeros(1, 3)]);
        Assert.Equal(new long[] { 3, 3 }, r.shape);
    }

    [Fact]
    public void Cat_MismatchedShapes_ThrowsNamingShapes()
    {
        var ex = Assert.Throws<ArgumentException>(() => torch.cat([torch.zeros(2, 3), torch.zeros(2, 4)], 0));
        Assert.Contains("[2, 3]", ex.Message);
        Assert.Contains("[2, 4]", ex.Message);
        Assert.Throws<ArgumentException>(() => torch.cat([torch.zeros(2, 3), torch.zeros(3)], 0));
        Assert.Throws<ArgumentException>(() => torch.cat([]));
    }

    [Fact]
    public void Cat_MismatchedDtypes_ThrowsNamingDtypes()
    {
        var ex = Assert.Throws<ArgumentException>(() => torch.cat([torch.zeros(2), torch.zeros([2], ScalarType.Float64)]));
        Assert.Contains("float32", ex.Message);
        Assert.Contains("float64", ex.Message);
    }

    [Fact]
    public void Stack_NewDims_MatchManual()
    {
        var a = torch.tensor(new long[] { 1, 2, 3 });
        var b = torch.tensor(new long[] { 4, 5, 6 });
        Assert.Equal(new long[] { 1, 2, 3, 4, 5, 6 }, torch.stack([a, b]).data<long>());
        var s = torch.stack([a, b], dim: -1);
        Assert.Equal(new long[] { 3, 2 }, s.shape);
        Assert.Equal(new long[] { 1, 4, 2, 5, 3, 6 }, s.data<long>());
        var ex = Assert.Throws<ArgumentException>(() => torch.stack([a, torch.tensor(new long[] { 1, 2 })]));
        Assert.Contains("entry 1", ex.Message);
    }

    [Fact]
    public void Cat_Gradient_MatchesFiniteDifferences_NonContiguous()
    {
        var g = new Generator(41);
        var a = GradCheck.Input(g, 3, 2);
        var b = GradCheck.Input(g, 2, 4);
        GradCheck.Check(x => torch.cat([x[0].t(), x[1], x[0].t().narrow(1, 1, 1)], 1), [a, b]);
    }

    [Fact]
    public void Stack_Gradient_MatchesFiniteDifferences_NonContiguous()
    {
        var g = new Generator(42);
        var a = GradCheck.Input(g, 2, 3);
        var b = GradCheck.Input(g, 3, 2);
        GradCheck.Check(x => torch.stack([x[0], x[1].t(), x[0]], 1), [a, b]);
    }
}
