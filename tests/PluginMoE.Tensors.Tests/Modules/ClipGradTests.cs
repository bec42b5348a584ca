using static PluginMoE.Tensors.torch;

namespace PluginMoE.Tensors.Tests.Modules;

public class ClipGradTests
{
    // Golden values: tools/golden/optim_trajectories.py (PyTorch 1.13 clip_grad_norm_, max_norm 5).
    private static (Tensor a, Tensor b) Params(ScalarType dtype = ScalarType.Float64)
    {
        var a = zeros([3], dtype, requires_grad: true);
        var b = zeros([2, 2], dtype, requires_grad: true);
        a.grad = tensor(new[] { 3.0, -4.0, 12.0 }).to(dtype);
        b.grad = tensor(new[] { 1.0, -2.0, 0.5, 7.0 }, [2, 2]).to(dtype);
        return (a, b);
    }

    private static double[] Grads(Tensor a, Tensor b) => [.. a.grad!.to(float64).data<double>(), .. b.grad!.to(float64).data<double>()];

    [Theory]
    [InlineData(2.0, 14.941552797483935, new[] { 1.0039116549261369, -1.3385488732348492, 4.0156466197045475, 0.3346372183087123, -0.6692744366174246, 0.16731860915435615, 2.342460528160986 })]
    [InlineData(double.PositiveInfinity, 12.0, new[] { 1.249999895833342, -1.6666665277777895, 4.999999583333368, 0.41666663194444736, -0.8333332638888947, 0.20833331597222368, 2.9166664236111317 })]
    [InlineData(1.0, 29.5, new[] { 0.5084745590347607, -0.6779660787130143, 2.0338982361390427, 0.16949151967825357, -0.33898303935650714, 0.08474575983912679, 1.186440637747775 })]
    public void ClipGradNorm_MatchesPyTorch(double normType, double expectedTotal, double[] expectedGrads)
    {
        var (a, b) = Params();
        double total = torch.nn.utils.clip_grad_norm_([a, b], 5.0, normType);
        Assert.Equal(expectedTotal, total, 12);
        var g = Grads(a, b);
        for (int i = 0; i < g.Length; i++) Assert.Equal(expectedGrads[i], g[i], 12);
    }

    [Fact]
    public void ClipGradNorm_BelowMax_LeavesGradsUnchanged()
    {
        var (a, b) = Params(ScalarType.Float32);
        var before = Grads(a, b);
        Assert.Equal(14.941552797483935, torch.nn.utils.clip_grad_norm_([a, b], 100.0), 5);
        Assert.Equal(before, Grads(a, b));
    }

    [Fact]
    public void ClipGradNorm_StridedGradAndMissingGrad_AreHandled()
    {
        var a = zeros([2, 3], float64, requires_grad: true);
        a.grad = tensor(new[] { 3.0, 0, 4, 0, 0, 0 }, [3, 2]).t(); // non-contiguous
        var none = zeros([2], float64, requires_grad: true);
        double total = torch.nn.utils.clip_grad_norm_([a, none], 1.0);
        Assert.Equal(5.0, total, 12);
        Assert.Equal(1.0, Math.Sqrt(a.grad!.data<double>().Sum(v => v * v)), 5);
        Assert.Null(none.grad);
    }

    [Fact]
    public void ClipGradNorm_NonFinite_ReportedOrThrows()
    {
        var a = zeros([2], float64, requires_grad: true);
        a.grad = tensor(new[] { double.NaN, 1.0 });
        Assert.True(double.IsNaN(torch.nn.utils.clip_grad_norm_([a], 1.0)));
        a.grad = tensor(new[] { double.PositiveInfinity, 1.0 });
        var ex = Assert.Throws<InvalidOperationException>(() => torch.nn.utils.clip_grad_norm_([a], 1.0, error_if_nonfinite: true));
        Assert.Contains("is ∞", ex.Message.Replace("Infinity", "∞"));
        Assert.Equal(1.0, a.grad!.data<double>()[1]); // unchanged on error
    }

    [Fact]
    public void ClipGradValue_ClampsEveryElement()
    {
        var (a, b) = Params(ScalarType.Float32);
        torch.nn.utils.clip_grad_value_([a, b], 2.5);
        Assert.Equal(new[] { 2.5, -2.5, 2.5, 1, -2, 0.5, 2.5 }, Grads(a, b));
    }
}
