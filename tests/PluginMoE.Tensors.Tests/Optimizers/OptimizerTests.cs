using System.Text.Json;
using static PluginMoE.Tensors.torch;
using static PluginMoE.Tensors.Tests.Optimizers.OptimTestData;

namespace PluginMoE.Tensors.Tests.Optimizers;

public class OptimizerTests
{
    // Expected values: tools/golden/optim_trajectories.py with PyTorch 1.13 (5 steps from P0 with Grad(k)).
    private static readonly double[] AdamWF64 = [0.4528037086654035, -1.2611776815128624, 2.035255492015444, 0.032389770111074745, -0.758636772979071, 3.4402010513849453];
    private static readonly double[] AdamWDefaultsF64 = [0.49549351477418224, -1.2516815198394489, 2.00444073910042, 0.003245243837593923, -0.7512072775300129, 3.495582077819018];
    private static readonly double[] AdamWF32 = [0.45280373096466064, -1.2611777782440186, 2.0352556705474854, 0.032389767467975616, -0.7586368322372437, 3.4402012825012207];
    private static readonly double[] AdamWGroupsF64 = [0.45278741676456924, -1.2611271931087549, 2.0353357181863863, 0.06490673321139268, -0.7748951595732297, 3.4151395195768743];
    private static readonly double[] SgdMomentumF64 = [-0.10196964502114021, -1.2784851796946843, 2.567359788276342, 0.34620332326098924, -1.139782993093397, 2.92141560248368];
    private static readonly double[] SgdNesterovF64 = [-0.26918286065261626, -1.1244386527615, 2.809747607634099, 0.3271344180748958, -1.3952286217882008, 2.7949081548114156];
    private static readonly double[] SgdPlainF32 = [0.13252227008342743, -0.9952570199966431, 2.5037646293640137, 0.0147699024528265, -1.2458628416061401, 3.219944477081299];

    private static Tensor Run(Func<Tensor, torch.optim.Optimizer> make, ScalarType dtype, int steps = 5)
    {
        var p = Param(dtype);
        var opt = make(p);
        for (int k = 1; k <= steps; k++)
        {
            p.grad = Grad(k, dtype);
            opt.step();
        }
        return p;
    }

    [Fact]
    public void AdamW_Float64Trajectory_MatchesPyTorch() =>
        AssertClose(AdamWF64, Run(p => new torch.optim.AdamW([p], lr: 0.01, beta1: 0.9, beta2: 0.99, eps: 1e-8, weight_decay: 0.1), float64), 1e-13);

    [Fact]
    public void Step_BumpsTheParametersVersion_AsAnInPlaceWriteDoes() // caches of values derived from parameters rely on it
    {
        var p = Param(float64);
        int v0 = p._version;
        using (no_grad()) p.mul_(1.0);
        Assert.Equal(v0 + 1, p._version);
        var opt = new torch.optim.AdamW([p]);
        p.grad = Grad(1, float64);
        opt.step();
        Assert.True(p._version > v0 + 1, $"version {p._version} after the step, {v0 + 1} before");
        int v1 = p._version;
        new torch.optim.SGD([p], lr: 0.1).step();
        Assert.True(p._version > v1);
    }

    [Fact]
    public void AdamW_Defaults_MatchPyTorch() =>
        AssertClose(AdamWDefaultsF64, Run(p => new torch.optim.AdamW([p]), float64), 1e-13);

    [Fact]
    public void AdamW_Float32Trajectory_MatchesPyTorch() =>
        AssertClose(AdamWF32, Run(p => new torch.optim.AdamW([p], lr: 0.01, beta1: 0.9, beta2: 0.99, eps: 1e-8, weight_decay: 0.1), float32), 1e-6);

    [Fact]
    public void AdamW_PerGroupOptions_MatchPyTorch()
    {
        var p = tensor(P0);
        var a = new torch.nn.Parameter(p.narrow(0, 0, 3).clone());
        var b = new torch.nn.Parameter(p.narrow(0, 3, 3).clone());
        var opt = new torch.optim.AdamW([new torch.optim.ParamGroup([a]), new torch.optim.ParamGroup([b], lr: 0.02, weight_decay: 0, name: "no_decay")], lr: 0.01, weight_decay: 0.1);
        Assert.Equal(0.01, opt.param_groups[0].lr);
        Assert.Equal(0.0, opt.param_groups[1].weight_decay);
        Assert.Equal(0.999, opt.param_groups[1]["beta2"]);
        for (int k = 1; k <= 5; k++)
        {
            var g = Grad(k, float64);
            a.grad = g.narrow(0, 0, 3).clone();
            b.grad = g.narrow(0, 3, 3).clone();
            opt.step();
        }
        AssertClose(AdamWGroupsF64, cat(a, b), 1e-13);
    }

    private static Tensor cat(Tensor a, Tensor b) => tensor([.. a.data<double>(), .. b.data<double>()]);

    [Fact]
    public void SGD_MomentumDampeningWeightDecay_MatchesPyTorch() =>
        AssertClose(SgdMomentumF64, Run(p => new torch.optim.SGD([p], lr: 0.05, momentum: 0.9, dampening: 0.1, weight_decay: 0.01), float64), 1e-13);

    [Fact]
    public void SGD_Nesterov_MatchesPyTorch() =>
        AssertClose(SgdNesterovF64, Run(p => new torch.optim.SGD([p], lr: 0.05, momentum: 0.9, nesterov: true, weight_decay: 0.01), float64), 1e-13);

    [Fact]
    public void SGD_PlainFloat32_MatchesPyTorch() =>
        AssertClose(SgdPlainF32, Run(p => new torch.optim.SGD([p], lr: 0.1), float32), 1e-6);

    [Fact]
    public void AdamW_LargeFloat32Tensor_VectorAndScalarPathsAgreeWithFloat64()
    {
        // 100_003 elements: several threads' chunks, Vector256 bodies and a scalar tail.
        var g = new Generator(3);
        var p32 = new torch.nn.Parameter(randn([100_003], float32, g));
        var p64 = new torch.nn.Parameter(p32.to(float64));
        var o32 = new torch.optim.AdamW([p32], lr: 0.01);
        var o64 = new torch.optim.AdamW([p64], lr: 0.01);
        for (int k = 0; k < 3; k++)
        {
            var grad = randn([100_003], float32, g);
            p32.grad = grad;
            p64.grad = grad.to(float64);
            o32.step();
            o64.step();
        }
        var a = p32.data<float>();
        var b = p64.data<double>();
        for (int i = 0; i < a.Length; i++) Assert.True(Math.Abs(a[i] - b[i]) < 1e-5, $"element {i}: {a[i]} vs {b[i]}");
    }

    [Fact]
    public void Step_SkipsParametersWithoutGrad_AndZeroGradClears()
    {
        var p = Param(float64);
        var q = Param(float64);
        var opt = new torch.optim.SGD([p, q], lr: 0.1, momentum: 0.5);
        p.grad = Grad(1, float64);
        opt.step();
        Assert.Equal(P0, q.data<double>());
        Assert.Single(opt.state);
        opt.zero_grad(set_to_none: false);
        Assert.All(p.grad!.data<double>(), v => Assert.Equal(0, v));
        opt.zero_grad();
        Assert.Null(p.grad);
    }

    [Fact]
    public void Constructor_BadOptions_FailWithReason()
    {
        var p = Param(float64);
        Assert.Contains("invalid learning rate -1", Assert.Throws<ArgumentException>(() => new torch.optim.AdamW([p], lr: -1)).Message);
        Assert.Contains("beta2", Assert.Throws<ArgumentException>(() => new torch.optim.AdamW([p], beta2: 1.0)).Message);
        Assert.Contains("Nesterov momentum requires", Assert.Throws<ArgumentException>(() => new torch.optim.SGD([p], lr: 0.1, nesterov: true)).Message);
        Assert.Contains("unknown option 'momentum'",
            Assert.Throws<ArgumentException>(() => new torch.optim.AdamW([new torch.optim.ParamGroup([p], momentum: 0.9)])).Message);
        Assert.Contains("more than one group", Assert.Throws<ArgumentException>(() => new torch.optim.SGD([p, p], lr: 0.1)).Message);
        Assert.Contains("non-leaf", Assert.Throws<ArgumentException>(() => new torch.optim.SGD([p * 2.0], lr: 0.1)).Message);
    }

    private static (torch.nn.Parameter w, torch.nn.Parameter b) TwoParams()
    {
        var g = new Generator(42);
        return (new torch.nn.Parameter(randn([3, 4], float32, g)), new torch.nn.Parameter(randn([4], float32, g)));
    }

    private static void Grads(Tensor w, Tensor b, int step)
    {
        var g = new Generator(1000 + step);
        w.grad = randn([3, 4], float32, g);
        b.grad = randn([4], float32, g);
    }

    [Theory]
    [InlineData("adamw")]
    [InlineData("sgd")]
    public void StateDict_SaveLoadIntoNewOptimizer_ContinuesBitwiseLikeUninterruptedRun(string kind)
    {
        torch.optim.Optimizer Make(Tensor w, Tensor b) => kind == "adamw"
            ? new torch.optim.AdamW([new torch.optim.ParamGroup([w]), new torch.optim.ParamGroup([b], weight_decay: 0)], lr: 0.01)
            : new torch.optim.SGD([new torch.optim.ParamGroup([w]), new torch.optim.ParamGroup([b], lr: 0.2)], lr: 0.05, momentum: 0.9, nesterov: true, weight_decay: 1e-3);

        // Uninterrupted: 6 steps.
        var (w1, b1) = TwoParams();
        var o1 = Make(w1, b1);
        for (int s = 1; s <= 6; s++) { Grads(w1, b1, s); o1.step(); }

        // Interrupted after 3 steps: save params + optimizer state (through JSON for the metadata), restore into fresh objects.
        var (w2, b2) = TwoParams();
        var o2 = Make(w2, b2);
        for (int s = 1; s <= 3; s++) { Grads(w2, b2, s); o2.step(); }
        var sd = o2.state_dict();
        var tensors = sd.tensors.ToDictionary(kv => kv.Key, kv => kv.Value.clone());
        var json = JsonSerializer.Serialize(sd.metadata);
        var meta = JsonSerializer.Deserialize<torch.optim.OptimizerMetadata>(json)!;
        var (w3, b3) = TwoParams();
        using (no_grad()) { w3.copy_(w2); b3.copy_(b2); }
        o2.param_groups[0].lr = 123; // the live optimizer changing must not matter
        var o3 = Make(w3, b3);
        o3.load_state_dict(new torch.optim.OptimizerStateDict(tensors, meta));
        for (int s = 4; s <= 6; s++) { Grads(w3, b3, s); o3.step(); }

        Assert.Equal(w1.data<float>(), w3.data<float>());
        Assert.Equal(b1.data<float>(), b3.data<float>());
        Assert.Equal(o1.param_groups[1].lr, o3.param_groups[1].lr);
    }

    [Fact]
    public void StateDict_NamesTensorsByParameterIndex()
    {
        var (w, b) = TwoParams();
        var opt = new torch.optim.AdamW([new torch.optim.ParamGroup([w]), new torch.optim.ParamGroup([b], weight_decay: 0, name: "no_decay")]);
        Grads(w, b, 1);
        opt.step();
        var sd = opt.state_dict();
        Assert.Equal(new[] { "state.0.step", "state.0.exp_avg", "state.0.exp_avg_sq", "state.1.step", "state.1.exp_avg", "state.1.exp_avg_sq" }, sd.tensors.Keys);
        Assert.Equal(1L, sd.tensors["state.1.step"].item<long>());
        Assert.Equal("AdamW", sd.metadata.optimizer);
        Assert.Equal(new[] { 1 }, sd.metadata.param_groups[1].@params);
        Assert.Equal("no_decay", sd.metadata.param_groups[1].name);
        Assert.Equal(0.0, sd.metadata.param_groups[1].options["weight_decay"]);
    }

    [Fact]
    public void LoadStateDict_Mismatches_FailWithReason()
    {
        var (w, b) = TwoParams();
        var adam = new torch.optim.AdamW([w, b]);
        Grads(w, b, 1);
        adam.step();
        var sd = adam.state_dict();
        Assert.Contains("saved by AdamW, not SGD", Assert.Throws<ArgumentException>(() => new torch.optim.SGD([w, b], lr: 1).load_state_dict(sd)).Message);
        Assert.Contains("param group 0 has 2 parameters in the state, 1 in the optimizer",
            Assert.Throws<ArgumentException>(() => new torch.optim.AdamW([w]).load_state_dict(sd)).Message);
        var bad = sd.tensors.ToDictionary(kv => kv.Key, kv => kv.Value);
        bad["state.1.exp_avg"] = zeros(5);
        bad["state.7.exp_avg"] = zeros(5);
        var ex = Assert.Throws<ArgumentException>(() => new torch.optim.AdamW([w, b]).load_state_dict(sd with { tensors = bad }));
        Assert.Contains("size mismatch for state.1.exp_avg: state has [5], parameter has [4]", ex.Message);
        Assert.Contains("unexpected key \"state.7.exp_avg\"", ex.Message);
    }
}
