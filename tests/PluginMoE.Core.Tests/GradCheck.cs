// Finite-difference gradient checks in float64 (after tests/PluginMoE.Tensors.Tests/GradCheck.cs): the
// autograd gradient of a scalar function of some tensors is compared with central differences.
using PluginMoE.Tensors;
using static PluginMoE.Tensors.torch;

namespace PluginMoE.Core.Tests;

internal static class GradCheck
{
    /// <summary>
    /// Asserts that the gradients of <paramref name="loss"/> with respect to every tensor in <paramref name="inputs"/>
    /// (contiguous float64 tensors that require grad, e.g. a module's parameters) match central differences.
    /// </summary>
    public static void Check(Func<Tensor> loss, IReadOnlyList<(string Name, Tensor Tensor)> inputs, double eps = 1e-6, double atol = 1e-6, double rtol = 1e-4)
    {
        foreach (var (_, t) in inputs) t.grad = null;
        loss().backward();
        var analytic = inputs.Select(x => x.Tensor.grad?.data<double>() ?? new double[x.Tensor.numel()]).ToList();
        for (int k = 0; k < inputs.Count; k++)
        {
            var (name, x) = inputs[k];
            Assert.Equal(ScalarType.Float64, x.dtype);
            var flat = x.detach().view(-1);
            for (long i = 0; i < x.numel(); i++)
            {
                var element = flat[i];
                double orig = element.ToDouble();
                double plus, minus;
                using (no_grad())
                {
                    element.fill_(orig + eps);
                    plus = loss().ToDouble();
                    element.fill_(orig - eps);
                    minus = loss().ToDouble();
                    element.fill_(orig);
                }
                double numeric = (plus - minus) / (2 * eps);
                double a = analytic[k][i];
                Assert.True(Math.Abs(a - numeric) <= atol + rtol * Math.Abs(numeric),
                    $"gradient of {name}[{i}]: autograd {a}, finite differences {numeric}");
            }
        }
    }
}
