// Forward tests of the layers that call torch.nn.functional ops owned by other work streams (linear, embedding,
// rms_norm, layer_norm, dropout). They pass once those ops replace the placeholders.
using static PluginMoE.Tensors.torch;

namespace PluginMoE.Tensors.Tests.Modules;

public class LayerForwardTests
{
    private static void Close(double[] expected, Tensor actual, double tol = 1e-12)
    {
        var a = actual.to(float64).data<double>();
        Assert.Equal(expected.Length, a.Length);
        for (int i = 0; i < a.Length; i++) Assert.True(Math.Abs(expected[i] - a[i]) <= tol, $"element {i}: expected {expected[i]:R}, got {a[i]:R}");
    }

    private static torch.nn.Linear FixedLinear()
    {
        var lin = new torch.nn.Linear(3, 2, dtype: float64);
        lin.load_state_dict(new Dictionary<string, Tensor>
        {
            ["weight"] = tensor(new[] { 0.5, -1.0, 2.0, 1.5, 0.25, -0.5 }, [2, 3]),
            ["bias"] = tensor(new[] { 0.1, -0.2 }),
        });
        return lin;
    }

    [Fact]
    public void Linear_Forward_MatchesPyTorch()
    {
        // torch.nn.functional.linear(x, W, b) with the values below -> [4.6, 0.3, 7.6, -3.7]
        var y = FixedLinear().call(tensor(new[] { 1.0, 2.0, 3.0, -1.0, 0.0, 4.0 }, [2, 3]));
        Assert.Equal(new long[] { 2, 2 }, y.shape);
        Close([4.6, 0.3, 7.6, -3.7], y);
    }

    [Fact]
    public void Linear_Gradients_MatchFiniteDifferences()
    {
        var lin = new torch.nn.Linear(4, 3, generator: new Generator(1), dtype: float64);
        var x = GradCheck.Input(new Generator(2), 2, 5, 4);
        GradCheck.Check(t => lin.call(t[0].transpose(0, 1)), [x, lin.weight, lin.bias!]);
    }

    [Fact]
    public void Embedding_Forward_SelectsRows()
    {
        var emb = new torch.nn.Embedding(5, 3, generator: new Generator(4));
        var ids = tensor(new long[] { 4, 0, 4, 2 }, [2, 2]);
        var y = emb.call(ids);
        Assert.Equal(new long[] { 2, 2, 3 }, y.shape);
        Assert.Equal(emb.weight[4].data<float>(), y[0][0].data<float>());
        Assert.Equal(emb.weight[2].data<float>(), y[1][1].data<float>());
    }

    [Fact]
    public void RMSNorm_Forward_MatchesPyTorch()
    {
        // x / sqrt(mean(x^2, -1) + 1e-6) * w, computed with /usr/bin/python3 and PyTorch 1.13 in float64
        var norm = new torch.nn.RMSNorm(4, eps: 1e-6, dtype: float64);
        using (no_grad()) norm.weight!.copy_(tensor(new[] { 0.5, 1.0, 1.5, 2.0 }));
        var y = norm.call(tensor(new[] { 1.0, 2.0, 3.0, 4.0, -1.0, 0.5, 0.0, 2.5 }, [2, 4]));
        Close([0.1825741736634442, 0.7302966946537768, 1.6431675629709979, 2.921186778615107, -0.3651482742972506, 0.3651482742972506, 0.0, 3.651482742972506], y);
    }

    [Fact]
    public void LayerNorm_Forward_MatchesPyTorch()
    {
        // torch.nn.functional.layer_norm(x, (4,), w, b, 1e-5) in float64 with PyTorch 1.13
        var norm = new torch.nn.LayerNorm(4, dtype: float64);
        using (no_grad())
        {
            norm.weight!.copy_(tensor(new[] { 0.5, 1.0, 1.5, 2.0 }));
            norm.bias!.copy_(tensor(new[] { 0.1, -0.1, 0.2, 0.0 }));
        }
        var y = norm.call(tensor(new[] { 1.0, 2.0, 3.0, 4.0, -1.0, 0.5, 0.0, 2.5 }, [2, 4]));
        Close([-0.5708177099844636, -0.5472118066563091, 0.8708177099844634, 2.6832708399378538,
               -0.48834659512012135, -0.09999999999999995, -0.38834659512012126, 3.137848507307314], y, 1e-10);
    }

    [Fact]
    public void Dropout_Training_ZeroesOrScalesAndIsSeedable()
    {
        var x = ones([10_000]);
        var a = new torch.nn.Dropout(0.25, new Generator(7)).call(x).data<float>();
        var b = new torch.nn.Dropout(0.25, new Generator(7)).call(x).data<float>();
        Assert.Equal(a, b);
        Assert.All(a, v => Assert.True(v == 0 || Math.Abs(v - 4f / 3) < 1e-6));
        Assert.InRange(a.Count(v => v == 0) / 10_000.0, 0.22, 0.28);
    }

    [Fact]
    public void LinearWithAdamW_FewSteps_ReduceSquaredError()
    {
        var lin = new torch.nn.Linear(3, 1, generator: new Generator(0), dtype: float64);
        var x = randn([16, 3], float64, new Generator(1));
        var target = (x * tensor(new[] { 1.0, -2.0, 0.5 })).sum(1, keepdim: true);
        var opt = new torch.optim.AdamW(lin.parameters(), lr: 0.05, weight_decay: 0);
        double Loss()
        {
            var d = lin.call(x) - target;
            return (d * d).mean().item<double>();
        }
        double first = Loss();
        for (int i = 0; i < 50; i++)
        {
            opt.zero_grad();
            var d = lin.call(x) - target;
            (d * d).mean().backward();
            opt.step();
        }
        Assert.True(Loss() < 0.1 * first);
    }
}
