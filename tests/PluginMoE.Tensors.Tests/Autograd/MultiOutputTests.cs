// Multi-output autograd nodes: a two-output op (u = x * y, v = x * x + y) recorded as one node whose backward gets
// both outputs' gradients in one call; finite differences in float64 when one, both, or chained outputs are used,
// and the engine's contract (one call, null for an unused output, retain_graph, no_grad, backward from either output).

namespace PluginMoE.Tensors.Tests.Autograd;

public class MultiOutputTests
{
    /// <summary>The test op; <paramref name="calls"/> records the gradients each backward call received.</summary>
    private static (Tensor u, Tensor v) TwoOutputs(Tensor x, Tensor y, List<Tensor?[]>? calls = null)
    {
        Tensor u, v;
        using (torch.no_grad())
        {
            u = x * y;
            v = x * x + y;
        }
        var xd = x.detach();
        var yd = y.detach();
        Tensor.RecordMulti([u, v], "TwoOutputsBackward", [x, y], g =>
        {
            calls?.Add((Tensor?[])g.Clone());
            Tensor? gx = null, gy = null;
            if (g[0] is { } gu)
            {
                gx = gu * yd;
                gy = gu * xd;
            }
            if (g[1] is { } gv)
            {
                gx = gx is null ? gv * xd * 2.0 : gx + gv * xd * 2.0;
                gy = gy is null ? gv : gy + gv;
            }
            return [gx, gy];
        });
        return (u, v);
    }

    private static Tensor[] Inputs(int seed) => [GradCheck.Input(new Generator(seed), 3, 4), GradCheck.Input(new Generator(seed + 1), 3, 4)];

    [Fact]
    public void OnlyOneOutputUsed_MatchesFiniteDifferences_AndTheOtherGradientIsNull()
    {
        GradCheck.Check(t => TwoOutputs(t[0], t[1]).u.tanh(), Inputs(1));
        GradCheck.Check(t => TwoOutputs(t[0], t[1]).v.tanh(), Inputs(3));

        var calls = new List<Tensor?[]>();
        var (x, y) = (Inputs(5)[0], Inputs(5)[1]);
        var (_, v) = TwoOutputs(x, y, calls);
        v.sum().backward();
        var call = Assert.Single(calls);
        Assert.Null(call[0]);
        Assert.NotNull(call[1]);
        Assert.Equal(2.0 * x.data<double>()[0], x.grad!.data<double>()[0], 12);
    }

    [Fact]
    public void BothOutputsUsed_OneBackwardCall_MatchesFiniteDifferences()
    {
        GradCheck.Check(t =>
        {
            var (u, v) = TwoOutputs(t[0], t[1]);
            return u.exp() + v * 0.5;
        }, Inputs(7));

        var calls = new List<Tensor?[]>();
        var t = Inputs(9);
        var (u, v) = TwoOutputs(t[0], t[1], calls);
        Assert.Same(u.grad_fn, v.grad_fn);
        Assert.Equal("TwoOutputsBackward", u.grad_fn);
        (u.sum() + (v * 3.0).sum()).backward();
        var call = Assert.Single(calls);
        Assert.NotNull(call[0]);
        Assert.NotNull(call[1]);
    }

    [Fact]
    public void OneOutputFeedsTheOthersConsumer_MatchesFiniteDifferences()
    {
        // u passes through two ops before meeting v; v is also used directly: the node must wait for all of it.
        GradCheck.Check(t =>
        {
            var (u, v) = TwoOutputs(t[0], t[1]);
            var w = (u * 2.0).tanh();
            return v * w + u;
        }, Inputs(11));
        // The outputs of one multi-output node feeding a second one.
        GradCheck.Check(t =>
        {
            var (u, v) = TwoOutputs(t[0], t[1]);
            var (p, q) = TwoOutputs(v, u.tanh());
            return p * q.sigmoid() + u;
        }, Inputs(13));
    }

    [Fact]
    public void BackwardFromTheSecondOutput_RetainGraph_AndNoGrad()
    {
        var t = Inputs(15);
        var (u, v) = TwoOutputs(t[0], t[1]);
        var loss = (u * v).sum();
        loss.backward(retain_graph: true);
        var first = t[0].grad!.data<double>();
        loss.backward();
        var twice = t[0].grad!.data<double>();
        for (int i = 0; i < first.Length; i++) Assert.Equal(2 * first[i], twice[i], 10);
        var e = Assert.Throws<InvalidOperationException>(() => loss.backward());
        Assert.Contains("backward through the graph a second time", e.Message);

        t[0].grad = null;
        var (_, v2) = TwoOutputs(t[0], t[1]);
        v2.backward(torch.ones([3, 4], ScalarType.Float64)); // the root is output 1
        var x = t[0].data<double>();
        var gx = t[0].grad!.data<double>();
        for (int i = 0; i < x.Length; i++) Assert.Equal(2 * x[i], gx[i], 12);

        using (torch.no_grad())
        {
            var (u3, v3) = TwoOutputs(t[0], t[1]);
            Assert.Null(u3.grad_fn);
            Assert.Null(v3.grad_fn);
        }
    }

    [Fact]
    public void FanInAccumulation_DoesNotCorruptSharedGradients()
    {
        // s = a + b hands the same gradient buffer to both; a is also used elsewhere, so its pending gradient
        // accumulates while b's must stay untouched.
        GradCheck.Check(t =>
        {
            var a = t[0] * 2.0;
            var b = t[0] * 3.0;
            var s = a + b;
            return s * 1.0 + a * a + b.tanh() + a * t[1];
        }, Inputs(17));
    }
}
