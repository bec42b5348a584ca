// Inverted dropout: statistics, Philox determinism, the no-op cases and the backward mask.
using F = PluginMoE.Tensors.torch.nn.functional;

namespace PluginMoE.Tensors.Tests.Ops;

public class DropoutTests
{
    [Fact]
    public void Dropout_LargeInput_ZeroesAboutPAndPreservesMean()
    {
        const int n = 200_000;
        var y = F.dropout(torch.ones([n], ScalarType.Float32), 0.3, generator: new Generator(1)).data<float>();
        int zeros = y.Count(v => v == 0);
        Assert.InRange(zeros / (double)n, 0.295, 0.305); // 5 sigma is about 0.005
        Assert.All(y, v => Assert.True(v == 0 || Math.Abs(v - 1 / 0.7f) < 1e-6));
        Assert.InRange(y.Average(v => (double)v), 0.99, 1.01);
    }

    [Fact]
    public void Dropout_SameSeed_GivesSameMask_AndAdvancesTheGenerator()
    {
        var x = torch.randn([1001], ScalarType.Float64, new Generator(2));
        var g1 = new Generator(7);
        var a = F.dropout(x, 0.5, generator: g1).data<double>();
        Assert.Equal(251UL, g1.Offset); // ceil(1001 / 4) Philox blocks
        var b = F.dropout(x, 0.5, generator: new Generator(7)).data<double>();
        Assert.Equal(a, b);
        var c = F.dropout(x, 0.5, generator: g1).data<double>();
        Assert.NotEqual(a, c);
    }

    [Fact]
    public void Dropout_NotTrainingOrZeroP_ReturnsInputWithoutDrawing()
    {
        var x = torch.ones(3, 4);
        var g = new Generator(3);
        Assert.Same(x, F.dropout(x, 0.5, training: false, generator: g));
        Assert.Same(x, F.dropout(x, 0.0, generator: g));
        Assert.Equal(0UL, g.Offset);
    }

    [Fact]
    public void Dropout_POne_GivesZeros()
    {
        var x = torch.ones([5], ScalarType.Float64, requires_grad: true);
        var y = F.dropout(x, 1.0);
        Assert.All(y.data<double>(), v => Assert.Equal(0.0, v));
        y.sum().backward();
        Assert.All(x.grad!.data<double>(), v => Assert.Equal(0.0, v));
    }

    [Fact]
    public void Dropout_Backward_UsesTheForwardMask()
    {
        var x = torch.ones([64, 33], ScalarType.Float64, requires_grad: true);
        var y = F.dropout(x.transpose(0, 1), 0.25, generator: new Generator(4));
        y.sum().backward();
        // d(sum y)/dx = mask / (1 - p) = y itself when x = 1.
        Assert.Equal(y.transpose(0, 1).data<double>(), x.grad!.data<double>());
    }

    [Fact]
    public void Dropout_Gradient_MatchesFiniteDifferences()
    {
        var g = new Generator(5);
        GradCheck.Check(t => F.dropout(t[0].transpose(0, 1), 0.4, generator: new Generator(9)), [GradCheck.Input(g, 6, 7)]);
    }

    [Fact]
    public void Dropout_InvalidP_Fails()
    {
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => F.dropout(torch.ones(2), 1.5));
        Assert.Contains("between 0 and 1", ex.Message);
    }
}
