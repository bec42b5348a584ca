using static PluginMoE.Tensors.torch;

namespace PluginMoE.Tensors.Tests.Modules;

public class InitTests
{
    private static (double mean, double std, double min, double max) Stats(Tensor t)
    {
        var d = t.to(float64).data<double>();
        double mean = d.Average();
        double std = Math.Sqrt(d.Sum(v => (v - mean) * (v - mean)) / (d.Length - 1));
        return (mean, std, d.Min(), d.Max());
    }

    [Fact]
    public void Fans_ConvLikeShapes_ComputedLikePyTorch()
    {
        // torch.nn.init._calculate_fan_in_and_fan_out(torch.empty(16, 8, 3, 5)) == (120, 240)
        Assert.Equal((120L, 240L), torch.nn.init.calculate_fan_in_and_fan_out(empty([16, 8, 3, 5])));
        Assert.Equal((7L, 3L), torch.nn.init.calculate_fan_in_and_fan_out(empty([3, 7])));
        var ex = Assert.Throws<ArgumentException>(() => torch.nn.init.calculate_fan_in_and_fan_out(empty([5])));
        Assert.Contains("fewer than 2 dimensions", ex.Message);
    }

    [Fact]
    public void CalculateGain_MatchesPyTorchTable()
    {
        Assert.Equal(1.0, torch.nn.init.calculate_gain("linear"));
        Assert.Equal(5.0 / 3, torch.nn.init.calculate_gain("tanh"));
        Assert.Equal(Math.Sqrt(2), torch.nn.init.calculate_gain("relu"));
        Assert.Equal(Math.Sqrt(2 / 1.0001), torch.nn.init.calculate_gain("leaky_relu"), 15);
        Assert.Equal(Math.Sqrt(2 / 6.0), torch.nn.init.calculate_gain("leaky_relu", Math.Sqrt(5)), 15);
        Assert.Equal(0.75, torch.nn.init.calculate_gain("selu"));
        Assert.Contains("unsupported nonlinearity 'swish'", Assert.Throws<ArgumentException>(() => torch.nn.init.calculate_gain("swish")).Message);
    }

    [Fact]
    public void XavierUniform_LargeTensor_BoundsAndStd()
    {
        var t = empty([256, 512]);
        torch.nn.init.xavier_uniform_(t, gain: 2, generator: new Generator(1));
        double bound = 2 * Math.Sqrt(6.0 / (256 + 512));
        var (mean, std, min, max) = Stats(t);
        Assert.True(min >= -bound && max <= bound);
        Assert.True(max > 0.99 * bound && min < -0.99 * bound);
        Assert.Equal(bound / Math.Sqrt(3), std, 0.01 * bound);
        Assert.Equal(0, mean, 0.01 * bound);
    }

    [Fact]
    public void XavierNormal_LargeTensor_Std()
    {
        var t = empty([300, 200], float64);
        torch.nn.init.xavier_normal_(t, generator: new Generator(2));
        Assert.Equal(Math.Sqrt(2.0 / 500), Stats(t).std, 1e-3);
    }

    [Fact]
    public void KaimingUniform_FanOutConv_BoundsAndStd()
    {
        var t = empty([64, 32, 3, 3]);
        torch.nn.init.kaiming_uniform_(t, mode: "fan_out", nonlinearity: "relu", generator: new Generator(3));
        double bound = Math.Sqrt(2) * Math.Sqrt(3.0 / (64 * 9));
        var (_, std, min, max) = Stats(t);
        Assert.True(min >= -bound && max <= bound);
        Assert.Equal(bound / Math.Sqrt(3), std, 0.01 * bound);
        Assert.Contains("mode 'fan_avg'", Assert.Throws<ArgumentException>(() => torch.nn.init.kaiming_uniform_(t, mode: "fan_avg")).Message);
    }

    [Fact]
    public void KaimingNormal_Std()
    {
        var t = empty([400, 250]);
        torch.nn.init.kaiming_normal_(t, nonlinearity: "relu", generator: new Generator(4));
        Assert.Equal(Math.Sqrt(2.0 / 250), Stats(t).std, 2e-3);
    }

    [Fact]
    public void Linear_DefaultInit_WithinOneOverSqrtFanIn()
    {
        var lin = new torch.nn.Linear(100, 300, generator: new Generator(5));
        double bound = 1 / Math.Sqrt(100);
        var (_, std, min, max) = Stats(lin.weight);
        Assert.True(min >= -bound && max <= bound && max > 0.98 * bound);
        Assert.Equal(bound / Math.Sqrt(3), std, 0.02 * bound);
        var b = Stats(lin.bias!);
        Assert.True(b.min >= -bound && b.max <= bound);
    }

    [Fact]
    public void SeededInit_IsReproducible_AndSeedsDiffer()
    {
        float[] Make(long seed) => new TinyModel(seed: seed).parameters().SelectMany(p => p.data<float>()).ToArray();
        Assert.Equal(Make(11), Make(11));
        Assert.NotEqual(Make(11), Make(12));
        var a = torch.nn.init.orthogonal_(empty([5, 3]), generator: new Generator(9));
        var b = torch.nn.init.orthogonal_(empty([5, 3]), generator: new Generator(9));
        Assert.Equal(a.data<float>(), b.data<float>());
    }

    [Theory]
    [InlineData(6, 4)]
    [InlineData(4, 6)]
    [InlineData(5, 5)]
    public void Orthogonal_GivesOrthonormalRowsOrColumns(int rows, int cols)
    {
        var q = torch.nn.init.orthogonal_(empty([rows, cols], float64), gain: 1, generator: new Generator(rows * 10 + cols)).data<double>();
        int n = Math.Min(rows, cols);
        // Q^T Q = I for tall matrices, Q Q^T = I for wide ones.
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++)
            {
                double dot = 0;
                if (rows >= cols) for (int k = 0; k < rows; k++) dot += q[k * cols + i] * q[k * cols + j];
                else for (int k = 0; k < cols; k++) dot += q[i * cols + k] * q[j * cols + k];
                Assert.Equal(i == j ? 1.0 : 0.0, dot, 1e-12);
            }
    }

    [Fact]
    public void Orthogonal_FourDimensional_FlattensTrailingDimsAndAppliesGain()
    {
        var t = torch.nn.init.orthogonal_(empty([4, 2, 3, 1], float64), gain: 2, generator: new Generator(1));
        var q = t.data<double>();
        for (int i = 0; i < 4; i++)
        {
            double sq = 0;
            for (int k = 0; k < 6; k++) sq += q[i * 6 + k] * q[i * 6 + k];
            Assert.Equal(4.0, sq, 1e-12);
        }
        Assert.Throws<ArgumentException>(() => torch.nn.init.orthogonal_(empty([3])));
    }

    [Fact]
    public void TruncNormal_StaysInBoundsWithTruncatedStd()
    {
        var t = torch.nn.init.trunc_normal_(empty([200_000]), mean: 0, std: 1, a: -1, b: 1, generator: new Generator(3));
        var (mean, std, min, max) = Stats(t);
        Assert.True(min >= -1 && max <= 1);
        Assert.Equal(0, mean, 0.01);
        // Var of N(0,1) truncated to [-1, 1] = 1 - 2*phi(1)/(Phi(1)-Phi(-1)) = 0.29112509...
        Assert.Equal(Math.Sqrt(0.2911250877), std, 3e-3);
    }

    [Fact]
    public void TruncNormal_FarTail_UsesInverseCdfAndStaysInBounds()
    {
        var t = torch.nn.init.trunc_normal_(empty([20_000], float64), mean: 1, std: 0.5, a: 4, b: 4.5, generator: new Generator(4));
        var (mean, _, min, max) = Stats(t);
        Assert.True(min >= 4 && max <= 4.5);
        // Mass piles up near the lower bound: E = 1 + 0.5*(phi(6)-phi(7))/(Phi(7)-Phi(6)) ~= 4.0797
        Assert.Equal(4.0797, mean, 0.01);
    }

    [Fact]
    public void UniformNormalConstant_FillStridedViewsInPlace()
    {
        var t = zeros([4, 6], float64);
        var view = t.t(); // non-contiguous
        torch.nn.init.constant_(view.narrow(0, 1, 2), 5);
        Assert.Equal(5.0 * 8, t.sum().item<double>());
        torch.nn.init.uniform_(view, 2, 3, new Generator(1));
        Assert.All(t.data<double>(), v => Assert.InRange(v, 2, 3));
        torch.nn.init.ones_(t);
        torch.nn.init.zeros_(t.narrow(1, 0, 3));
        Assert.Equal(12.0, t.sum().item<double>());
        Assert.Equal(3.0, torch.nn.init.eye_(empty([3, 4])).sum().item<float>());
        var p = new torch.nn.Parameter(zeros(3, 3));
        torch.nn.init.normal_(p, 0, 1, new Generator(1)); // under no_grad: no in-place error on a leaf that requires grad
        Assert.NotEqual(0f, p.data<float>()[0]);
    }
}
