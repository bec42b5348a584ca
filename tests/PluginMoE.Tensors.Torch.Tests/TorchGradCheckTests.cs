// Gradients through ops running on the LibTorch backend (torch-cpu, float64) against central finite differences.
using static PluginMoE.Tensors.Torch.Tests.TorchTestSupport;

namespace PluginMoE.Tensors.Torch.Tests;

public class TorchGradCheckTests
{
    private static Tensor Input(Generator g, params long[] shape)
    {
        EnsureRegistered();
        return torch.randn(shape, ScalarType.Float64, g).to(TorchCpu).requires_grad_();
    }

    /// <summary>Analytic gradient of sum(f(x) * w) vs central differences (eps 1e-6; 1e-5 abs + 1e-4 rel).</summary>
    private static void Check(Func<Tensor[], Tensor> f, Tensor[] inputs, double eps = 1e-6, double atol = 1e-5, double rtol = 1e-4)
    {
        foreach (var x in inputs) { Assert.Equal(TorchCpu, x.device); x.grad = null; }
        var y = f(inputs);
        Assert.Equal(TorchCpu, y.device);
        var w = torch.randn(y.shape, ScalarType.Float64, new Generator(99)).to(TorchCpu);
        (y * w).sum().backward();
        for (int k = 0; k < inputs.Length; k++)
        {
            var x = inputs[k];
            Assert.NotNull(x.grad);
            Assert.Equal(TorchCpu, x.grad!.device);
            var flat = x.detach().reshape(-1); // shares x's LibTorch storage
            var values = x.data<double>();
            var analytic = x.grad.data<double>();
            for (int i = 0; i < x.numel(); i++)
            {
                double orig = values[i];
                void Set(double v) { using var _ = torch.no_grad(); flat.narrow(0, i, 1).fill_(v); }
                double Eval() { using var _ = torch.no_grad(); return (f(inputs) * w).sum().ToDouble(); }
                Set(orig + eps); double plus = Eval();
                Set(orig - eps); double minus = Eval();
                Set(orig);
                double numeric = (plus - minus) / (2 * eps);
                Assert.True(Math.Abs(numeric - analytic[i]) <= atol + rtol * Math.Abs(numeric),
                    $"input {k} element {i}: analytic {analytic[i]:G10} vs numeric {numeric:G10}");
            }
        }
    }

    [Fact]
    public void MatmulSoftmaxAndActivations()
    {
        var g = new Generator(1);
        Check(x => torch.matmul(x[0], x[1]).log_softmax(-1).mul(torch.nn.functional.silu(x[0].sum(1, keepdim: true))),
            [Input(g, 3, 4), Input(g, 4, 5)]);
        Check(x => torch.nn.functional.gelu(x[0], "tanh").mul(x[0].exp()).square().add(1.0).sqrt(), [Input(g, 2, 3)]);
    }

    [Fact]
    public void RmsNormAttentionAndCrossEntropy()
    {
        var g = new Generator(2);
        Check(x => torch.nn.functional.rms_norm(x[0], [6], x[1]), [Input(g, 3, 6), Input(g, 6)]);
        Check(x => torch.nn.functional.scaled_dot_product_attention(x[0], x[1], x[2], is_causal: true),
            [Input(g, 1, 2, 3, 4), Input(g, 1, 2, 3, 4), Input(g, 1, 2, 3, 4)]);
        var target = torch.tensor(new long[] { 2, 0, 4 }).to(TorchCpu);
        Check(x => torch.nn.functional.cross_entropy(x[0], target, label_smoothing: 0.1), [Input(g, 3, 5)]);
    }

    [Fact]
    public void EmbeddingGatherAndSort()
    {
        var g = new Generator(3);
        var ids = torch.tensor(new long[] { 1, 3, 1, 0 }, [2, 2]).to(TorchCpu);
        Check(x => torch.nn.functional.embedding(ids, x[0]), [Input(g, 4, 3)]);
        var idx = torch.tensor(new long[] { 2, 0, 1, 1 }, [2, 2]).to(TorchCpu);
        Check(x => x[0].gather(1, idx).mul(x[0].topk(2, 1).values), [Input(g, 2, 3)]);
    }
}
