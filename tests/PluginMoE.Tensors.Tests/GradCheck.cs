// Finite-difference gradient checks in float64 (torch.autograd.gradcheck style): the analytic
// gradient of sum(f(x) * w) for a fixed random w is compared with central differences.

namespace PluginMoE.Tensors.Tests;

internal static class GradCheck
{
    /// <summary>Random float64 leaf that requires grad.</summary>
    public static Tensor Input(Generator g, params long[] shape) =>
        torch.randn(shape, ScalarType.Float64, g).requires_grad_();

    /// <summary>
    /// Asserts that the autograd gradients of <paramref name="f"/> match central differences for every
    /// input that requires grad. Inputs must be contiguous float64 leaves.
    /// </summary>
    public static void Check(Func<Tensor[], Tensor> f, Tensor[] inputs, double eps = 1e-6, double atol = 1e-5, double rtol = 1e-4, long seed = 1234)
    {
        foreach (var x in inputs)
        {
            Assert.Equal(ScalarType.Float64, x.dtype);
            x.grad = null;
        }
        var y = f(inputs);
        Assert.Equal(ScalarType.Float64, y.dtype);
        var w = torch.randn(y.shape, ScalarType.Float64, new Generator(seed));
        var loss = (y * w).sum();
        loss.backward();

        for (int k = 0; k < inputs.Length; k++)
        {
            var x = inputs[k];
            if (!x.requires_grad) continue;
            Assert.True(x.is_contiguous());
            var data = x.StorageAs<double>();
            var analytic = x.grad is null ? new double[x.numel()] : x.grad.data<double>();
            for (int i = 0; i < x.numel(); i++)
            {
                int at = x.Offset + i;
                double orig = data[at];
                double Eval()
                {
                    using var _ = torch.no_grad();
                    return (f(inputs) * w).sum().ToDouble();
                }
                data[at] = orig + eps;
                double plus = Eval();
                data[at] = orig - eps;
                double minus = Eval();
                data[at] = orig;
                double numeric = (plus - minus) / (2 * eps);
                double diff = Math.Abs(numeric - analytic[i]);
                Assert.True(diff <= atol + rtol * Math.Abs(numeric),
                    $"input {k} element {i}: analytic {analytic[i]:G10} vs numeric {numeric:G10} (diff {diff:G3})");
            }
        }
    }
}
