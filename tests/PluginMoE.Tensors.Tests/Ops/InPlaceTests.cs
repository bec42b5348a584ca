// In-place ops (add_, sub_, mul_, div_, neg_, clamp_, copy_, fill_, zero_) with autograd: golden gradients from
// PyTorch 1.13 (tools/golden/fusion.py), finite differences through recorded chains, the version counter and the
// errors PyTorch gives (leaf that requires grad, saved tensor modified, view in the graph, bad shape or type).
using static PluginMoE.Tensors.Tests.Ops.FusedInputs;

namespace PluginMoE.Tensors.Tests.Ops;

public class InPlaceTests
{
    private static readonly Dictionary<string, Func<Tensor[], Tensor>> Chains = new()
    {
        ["add_sub_alpha"] = t => (t[0] * 1.5).add_(t[1], alpha: 0.5).sub_(t[2], alpha: 2.0).add_(0.25),
        ["mul_div"] = t => (t[0] * 1.5).mul_(t[1]).div_(t[2].abs() + 0.5).mul_(-3.0),
        ["clamp"] = t => (t[0] * 1.5).clamp_(-0.7, 0.9).mul_(t[1]).clamp_(min: -0.2),
        ["copy_fill"] = t => torch.cat([(t[0] * 1.5).copy_(t[1] * 2.0), (t[0] * 2.0).fill_(3.0), (t[0] * 1.0).zero_()]) * t[0].sum(),
        ["broadcast_other"] = t => (t[0] * 1.5).add_(t[1][0]).mul_(t[1].narrow(0, 1, 1)),
        ["neg_then_use"] = t => { var h = (t[0] * 1.5).neg_(); return h * h; },
    };

    public static TheoryData<string> ChainNames()
    {
        var d = new TheoryData<string>();
        foreach (var k in Chains.Keys) d.Add(k);
        return d;
    }

    [Theory]
    [MemberData(nameof(ChainNames))]
    public void InPlaceChain_MatchesPyTorch(string name)
    {
        var c = AddRmsNormGoldenTests.Cases.Value[name];
        var inputs = c.GetProperty("inputs").EnumerateArray().Select(e => AddRmsNormGoldenTests.Decode(e)!.requires_grad_()).ToArray();
        var output = Chains[name](inputs);
        AssertClose(AddRmsNormGoldenTests.Decode(c.GetProperty("output"))!, output, 1e-12);
        output.backward(AddRmsNormGoldenTests.Decode(c.GetProperty("grad_output")));
        var grads = c.GetProperty("grads").EnumerateArray().ToArray();
        for (int i = 0; i < inputs.Length; i++) AssertClose(AddRmsNormGoldenTests.Decode(grads[i])!, inputs[i].grad!, 1e-12);
    }

    [Fact]
    public void InPlaceChains_MatchFiniteDifferences()
    {
        var g = new Generator(90);
        GradCheck.Check(Chains["add_sub_alpha"], [GradCheck.Input(g, 3, 4), GradCheck.Input(g, 3, 4), GradCheck.Input(g, 3, 4)]);
        GradCheck.Check(Chains["mul_div"], [GradCheck.Input(g, 3, 4), GradCheck.Input(g, 3, 4), GradCheck.Input(g, 3, 4)]);
        GradCheck.Check(Chains["broadcast_other"], [GradCheck.Input(g, 3, 4), GradCheck.Input(g, 3, 4)]);
        // A plain tensor that becomes part of the graph by an in-place op with an operand that requires grad.
        GradCheck.Check(t => torch.zeros([3, 4], ScalarType.Float64).add_(t[0]).mul_(t[1]), [GradCheck.Input(g, 3, 4), GradCheck.Input(g, 3, 4)]);
    }

    [Fact]
    public void EarlierConsumers_KeepTheHistoryTheySaw()
    {
        // t = 1.5 a; y = t + 1; t *= b; loss = sum(y) + sum(t)  =>  da = 1.5 + 1.5 b, db = 1.5 a (as PyTorch).
        var a = torch.tensor(new[] { 1.0, -2.0, 0.5 }).requires_grad_();
        var b = torch.tensor(new[] { 3.0, 0.25, -1.0 }).requires_grad_();
        var t = a * 1.5;
        var y = t + 1.0;
        t.mul_(b);
        Assert.Equal("MulBackward", t.grad_fn);
        (y.sum() + t.sum()).backward();
        Assert.Equal(new[] { 6.0, 1.875, 0.0 }, a.grad!.data<double>());
        Assert.Equal(new[] { 1.5, -3.0, 0.75 }, b.grad!.data<double>());
    }

    [Fact]
    public void VersionCounter_CountsEveryInPlaceWriteThroughAnyView()
    {
        var x = torch.zeros([2, 3]);
        var row = x[0];
        Assert.Equal(0, x.Storage.Version);
        x.add_(1.0);
        row.mul_(2.0);
        x.clamp_(max: 1.5);
        Assert.Equal(3, x.Storage.Version);
        Assert.Equal(new[] { 1.5f, 1.5f, 1.5f, 1f, 1f, 1f }, x.data<float>());
    }

    [Fact]
    public void ModifyingASavedTensor_MakesBackwardThrowNamingTheOp()
    {
        var a = torch.tensor(new[] { 1.0, 2.0 }).requires_grad_();
        var h = a * 2.0;
        var y = h * h; // MulBackward saves h
        h.add_(1.0);
        var e = Assert.Throws<InvalidOperationException>(() => y.sum().backward());
        Assert.Contains("a tensor of shape [2] that MulBackward saved for its backward was modified by an in-place operation (add_)", e.Message);
        Assert.Contains("version 1, expected version 0", e.Message);

        // An op that saves nothing (add) does not mind.
        var h2 = a * 2.0;
        var z = h2 + 1.0;
        h2.mul_(3.0);
        z.sum().backward();
        Assert.Equal(new[] { 2.0, 2.0 }, a.grad!.data<double>());
    }

    [Fact]
    public void LeafThatRequiresGrad_ThrowsOutsideNoGrad()
    {
        var w = torch.ones([2], ScalarType.Float32, requires_grad: true);
        var e = Assert.Throws<InvalidOperationException>(() => w.add_(1.0));
        Assert.Equal("add_: a leaf tensor that requires grad is being used in an in-place operation; wrap the update in " +
                     "'using (torch.no_grad())' (as optimizers do) or work on a clone()", e.Message);
        Assert.Throws<InvalidOperationException>(() => w.mul_(torch.ones([2])));
        Assert.Throws<InvalidOperationException>(() => w.zero_());
        using (torch.no_grad())
        {
            w.sub_(torch.tensor(new[] { 0.5f, 0.25f }), alpha: 2);
            w.div_(2.0);
        }
        Assert.Equal(new[] { 0f, 0.25f }, w.data<float>());
        Assert.True(w.is_leaf);
    }

    [Fact]
    public void ViewInTheGraph_Throws()
    {
        var a = torch.ones([2, 3], ScalarType.Float64, requires_grad: true);
        var h = a * 2.0;
        var e = Assert.Throws<InvalidOperationException>(() => h[0].add_(1.0));
        Assert.Contains("add_: in-place modification of a view while autograd records is not supported", e.Message);
        var plain = torch.zeros([2, 3], ScalarType.Float64);
        Assert.Throws<InvalidOperationException>(() => plain.narrow(0, 0, 1).copy_(h.narrow(0, 0, 1)));
        using (torch.no_grad()) h[0].add_(1.0);
        Assert.Equal(new[] { 3.0, 3.0, 3.0, 2.0, 2.0, 2.0 }, h.data<double>());
    }

    [Fact]
    public void BadShapeOrType_FailsClearly()
    {
        var x = torch.zeros([2, 3]);
        var e = Assert.Throws<ArgumentException>(() => x.add_(torch.ones([4, 2, 3])));
        Assert.Contains("add_: a tensor of shape [4, 2, 3] does not broadcast to this tensor's shape [2, 3]", e.Message);
        var i = torch.zeros([2], ScalarType.Int64);
        var e2 = Assert.Throws<ArgumentException>(() => i.add_(0.5));
        Assert.Contains("add_: the result type float32 cannot be written into this int64 tensor", e2.Message);
        Assert.Throws<ArgumentException>(() => i.div_(2.0));
        i.add_(3.0).mul_(2.0);
        Assert.Equal(new long[] { 6, 6 }, i.data<long>());
        Assert.Throws<ArgumentException>(() => x.clamp_());
    }

    [Fact]
    public void NonContiguousAndAliasedOperands_MatchOutOfPlace()
    {
        var g = new Generator(91);
        var baseT = torch.randn([4, 5], ScalarType.Float64, g);
        var other = torch.randn([5, 4], ScalarType.Float64, g);
        var expected = baseT.transpose(0, 1) * 2.0 + other;
        var t = baseT.clone().transpose(0, 1);
        t.mul_(2.0).add_(other);
        AssertClose(expected, t, 0);
        var s = baseT.clone();
        s.add_(s).mul_(s);
        AssertClose((baseT * 2.0) * (baseT * 2.0), s, 1e-15);
        var c = baseT.clone().transpose(0, 1).clamp_(-0.5, 0.5);
        AssertClose(baseT.transpose(0, 1).clamp(-0.5, 0.5), c, 0);
    }
}
