namespace PluginMoE.Tensors.Tests.Ops;

public class SoftmaxTests
{
    private static Tensor Z() => torch.tensor(new[] { 1.0, 2.0, 3.0, 4.0, -1.0, 0.5, 0.0, 10.0 }, [2, 4]);

    private static void AssertClose(double[] expected, double[] actual, double rtol)
    {
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(expected[i] - actual[i]) <= rtol * Math.Abs(expected[i]) + 1e-300, $"element {i}: {expected[i]:R} vs {actual[i]:R}");
    }

    // z = torch.tensor([[1., 2., 3., 4.], [-1., .5, 0., 10.]], dtype=torch.float64); F.softmax(z, 1)
    [Fact]
    public void Softmax_LastDim_MatchesPyTorch()
    {
        double[] expected = [0.03205860328008499, 0.08714431874203257, 0.23688281808991016, 0.6439142598879724,
            1.669941374774558e-05, 7.484158007432458e-05, 4.539371293641597e-05, 0.9998630652932414];
        AssertClose(expected, torch.nn.functional.softmax(Z(), 1).data<double>(), 1e-14);
    }

    // F.log_softmax(z, 0)
    [Fact]
    public void LogSoftmax_FirstDim_MatchesPyTorch()
    {
        double[] expected = [-0.1269280110429726, -0.20141327798275246, -0.048587351573741965, -6.00247568513773,
            -2.1269280110429727, -1.7014132779827524, -3.048587351573742, -0.002475685137730357];
        AssertClose(expected, torch.nn.functional.log_softmax(Z(), 0).data<double>(), 1e-14);
    }

    [Fact]
    public void Softmax_MiddleDim_EqualsLastDimOfPermuted()
    {
        var x = torch.randn([3, 5, 300], ScalarType.Float32, new Generator(4));
        var a = x.softmax(1).data<float>();
        var b = x.transpose(1, 2).contiguous().softmax(2).transpose(1, 2).contiguous().data<float>();
        for (int i = 0; i < a.Length; i++) Assert.Equal(b[i], a[i], 1e-6f);
        var la = x.log_softmax(1).data<float>();
        var lb = x.transpose(1, 2).contiguous().log_softmax(2).transpose(1, 2).contiguous().data<float>();
        for (int i = 0; i < la.Length; i++) Assert.Equal(lb[i], la[i], 1e-5f);
    }

    [Fact]
    public void Softmax_LargeLogits_IsStable()
    {
        var y = torch.tensor(new[] { 1000f, 0f }).softmax(0).data<float>();
        Assert.Equal(1f, y[0]);
        Assert.Equal(0f, y[1]);
        var l = torch.tensor(new[] { 1e30f, -1e30f, 0f }).log_softmax(0).data<float>();
        Assert.Equal(0f, l[0]);
        Assert.Equal(-2e30f, l[1]);
        Assert.True(float.IsFinite(l[2]));
    }

    [Fact]
    public void Softmax_RowsSumToOne_ForEveryDim()
    {
        var x = torch.randn([4, 6, 5], ScalarType.Float64, new Generator(9));
        for (int d = 0; d < 3; d++)
        {
            var s = x.softmax(d).sum(d).data<double>();
            foreach (var v in s) Assert.Equal(1.0, v, 12);
        }
    }

    [Fact]
    public void Softmax_Gradients_MatchFiniteDifferences_NonContiguous()
    {
        var g = new Generator(21);
        var a = GradCheck.Input(g, 3, 4, 5);
        GradCheck.Check(x => x[0].softmax(-1) + x[0].log_softmax(1), [a]);
        GradCheck.Check(x => x[0].permute(2, 0, 1).softmax(0) + x[0].transpose(0, 2).log_softmax(2).transpose(1, 2), [a]);
        GradCheck.Check(x => torch.log_softmax(x[0].narrow(2, 1, 3), 0), [a]);
    }

    [Fact]
    public void Softmax_DimOutOfRange_Throws()
    {
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => torch.ones(2, 3).softmax(2));
        Assert.Contains("softmax", ex.Message);
    }
}
