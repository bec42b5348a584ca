using F = PluginMoE.Tensors.torch.nn.functional;

namespace PluginMoE.Tensors.Tests.Ops;

public class LossTests
{
    // logits = torch.tensor([[.2, -1., 3., .5, 1.5], [1., 1., 1., 1., 1.], [-2., 0., 2., 4., -4.], [.3, .1, -.7, 2.2, 0.]],
    //                       dtype=torch.float64); tgt = torch.tensor([1, -100, 4, 0])
    // F.cross_entropy(logits, tgt, ignore_index=-100, reduction=red, label_smoothing=ls)
    private static Tensor Logits() => torch.tensor(new[]
    {
        0.2, -1.0, 3.0, 0.5, 1.5,
        1.0, 1.0, 1.0, 1.0, 1.0,
        -2.0, 0.0, 2.0, 4.0, -4.0,
        0.3, 0.1, -0.7, 2.2, 0.0,
    }, [4, 5]);

    private static Tensor Targets() => torch.tensor(new long[] { 1, -100, 4, 0 });

    [Theory]
    [InlineData("mean", 0.0, 4.911247368037755)]
    [InlineData("mean", 0.1, 4.713914034704422)]
    [InlineData("sum", 0.0, 14.733742104113265)]
    [InlineData("sum", 0.1, 14.141742104113266)]
    public void CrossEntropy_IgnoreIndexAndSmoothing_MatchPyTorch(string reduction, double smoothing, double expected)
    {
        var loss = F.cross_entropy(Logits(), Targets(), ignore_index: -100, reduction: reduction, label_smoothing: smoothing);
        Assert.Equal(expected, loss.item<double>(), 13);
    }

    [Fact]
    public void CrossEntropy_ReductionNone_MatchesPyTorch()
    {
        Assert.Equal(new[] { 4.325224113205995, 0.0, 8.145368056908488, 2.2631499339987813 },
            F.cross_entropy(Logits(), Targets(), reduction: "none").data<double>(), new Tol(1e-14));
        Assert.Equal(new[] { 4.141224113205995, 0.0, 7.745368056908489, 2.2551499339987813 },
            F.cross_entropy(Logits(), Targets(), reduction: "none", label_smoothing: 0.1).data<double>(), new Tol(1e-14));
    }

    // PyTorch 1.13: F.cross_entropy(logits, torch.full((4,), -100)) is nan (0 / 0), with or without smoothing.
    [Fact]
    public void CrossEntropy_AllIgnored_IsNaNLikePyTorch()
    {
        var all = torch.full([4], -100, ScalarType.Int64);
        Assert.True(double.IsNaN(F.cross_entropy(Logits(), all).item<double>()));
        Assert.True(double.IsNaN(F.cross_entropy(Logits(), all, label_smoothing: 0.2).item<double>()));
        Assert.Equal(0.0, F.cross_entropy(Logits(), all, reduction: "sum").item<double>());
    }

    // F.cross_entropy(torch.tensor([[1e4, 0.], [0., -1e4]]), torch.tensor([1, 1])) == 10000.0
    [Fact]
    public void CrossEntropy_HugeLogits_IsFinite()
    {
        var x = torch.tensor(new[] { 1e4f, 0f, 0f, -1e4f }, [2, 2], requires_grad: true);
        var loss = F.cross_entropy(x, torch.tensor(new long[] { 1, 1 }));
        Assert.Equal(10000f, loss.item<float>());
        loss.backward();
        Assert.True(x.grad!.isfinite().all().item<bool>());
        Assert.Equal(new[] { 0.5f, -0.5f, 0.5f, -0.5f }, x.grad!.data<float>());
    }

    [Fact]
    public void CrossEntropy_SpatialInput_EqualsFlattened()
    {
        var g = new Generator(3);
        var x = torch.randn([2, 4, 3], ScalarType.Float64, g);               // (N, C, d1)
        var t = torch.randint(0, 4, [2, 3], generator: g);
        var flat = x.permute(0, 2, 1).reshape(-1, 4);
        Assert.Equal(F.cross_entropy(flat, t.reshape(-1), label_smoothing: 0.05).item<double>(),
            F.cross_entropy(x, t, label_smoothing: 0.05).item<double>(), 14);
        Assert.Equal(new long[] { 2, 3 }, F.cross_entropy(x, t, reduction: "none").shape);
        var single = F.cross_entropy(x[0].select(1, 0), t[0][0]);
        Assert.Equal(0, single.dim());
    }

    [Fact]
    public void CrossEntropy_EqualsLogSoftmaxThenNll()
    {
        var g = new Generator(8);
        var x = torch.randn([6, 7], ScalarType.Float64, g);
        var t = torch.tensor(new long[] { 0, 6, -1, 3, 3, 2 });
        Assert.Equal(F.nll_loss(x.log_softmax(1), t, ignore_index: -1).item<double>(), F.cross_entropy(x, t, ignore_index: -1).item<double>(), 13);
    }

    [Fact]
    public void CrossEntropy_Gradients_MatchFiniteDifferences()
    {
        var g = new Generator(41);
        var a = GradCheck.Input(g, 5, 4);
        var t = torch.tensor(new long[] { 3, 0, -100, 2, 1 });
        GradCheck.Check(x => F.cross_entropy(x[0], t).reshape(1), [a]);
        GradCheck.Check(x => F.cross_entropy(x[0], t, reduction: "sum", label_smoothing: 0.3).reshape(1), [a]);
        GradCheck.Check(x => F.cross_entropy(x[0], t, reduction: "none", label_smoothing: 0.1), [a]);
        // Non-contiguous logits: the (C, N) storage transposed.
        var b = GradCheck.Input(g, 4, 5);
        GradCheck.Check(x => F.cross_entropy(x[0].t(), t, label_smoothing: 0.2).reshape(1), [b]);
        // Spatial (N, C, d1) input.
        var c = GradCheck.Input(g, 2, 3, 4);
        var ts = torch.tensor(new long[] { 0, 1, 2, 1, 2, 2, 0, -100 }, [2, 4]);
        GradCheck.Check(x => F.cross_entropy(x[0], ts, label_smoothing: 0.1).reshape(1), [c]);
    }

    [Fact]
    public void NllAndMse_Gradients_MatchFiniteDifferences()
    {
        var g = new Generator(42);
        var a = GradCheck.Input(g, 4, 3);
        var t = torch.tensor(new long[] { 2, -100, 0, 1 });
        GradCheck.Check(x => F.nll_loss(x[0].t().t(), t).reshape(1), [a]);
        GradCheck.Check(x => F.nll_loss(x[0], t, reduction: "none"), [a]);
        var b = GradCheck.Input(g, 3, 4);
        GradCheck.Check(x => F.mse_loss(x[0].t(), x[1]).reshape(1), [a, GradCheck.Input(g, 4)]);
        GradCheck.Check(x => F.mse_loss(x[0], x[1], "none"), [b, GradCheck.Input(g, 3, 4)]);
    }

    [Fact]
    public void CrossEntropy_BadInputs_FailWithClearMessages()
    {
        var x = torch.zeros(4, 5);
        var ex = Assert.Throws<ArgumentException>(() => F.cross_entropy(x, torch.zeros([4, 1], ScalarType.Int64)));
        Assert.Contains("[4]", ex.Message);
        Assert.Contains("[4, 1]", ex.Message);
        var oob = Assert.Throws<IndexOutOfRangeException>(() => F.cross_entropy(x, torch.tensor(new long[] { 0, 5, 1, 1 })));
        Assert.Contains("target 5", oob.Message);
        Assert.Throws<ArgumentException>(() => F.cross_entropy(x, torch.zeros(4)));
        Assert.Throws<ArgumentException>(() => F.cross_entropy(x, torch.zeros([4], ScalarType.Int64), reduction: "avg"));
        Assert.Throws<ArgumentException>(() => F.cross_entropy(x, torch.zeros([4], ScalarType.Int64), label_smoothing: 1.5));
    }

    private sealed class Tol(double tol) : IEqualityComparer<double>
    {
        public bool Equals(double x, double y) => Math.Abs(x - y) <= tol * Math.Max(1, Math.Abs(x));
        public int GetHashCode(double obj) => 0;
    }
}
