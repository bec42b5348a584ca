// The fixed problem behind the optimizer golden values (tools/golden/optim_trajectories.py).
using static PluginMoE.Tensors.torch;

namespace PluginMoE.Tensors.Tests.Optimizers;

internal static class OptimTestData
{
    public static readonly double[] P0 = [0.5, -1.25, 2.0, 0.0, -0.75, 3.5];

    /// <summary>g[i] at step k (1-based) = sin(1.3 i + 0.7 k) (1 + 0.25 k).</summary>
    public static Tensor Grad(int step, ScalarType dtype) =>
        tensor(Enumerable.Range(0, 6).Select(i => Math.Sin(1.3 * i + 0.7 * step) * (1 + 0.25 * step)).ToArray()).to(dtype);

    public static Tensor Param(ScalarType dtype) => new torch.nn.Parameter(tensor(P0).to(dtype));

    public static void AssertClose(double[] expected, Tensor actual, double tol)
    {
        var a = actual.to(float64).data<double>();
        Assert.Equal(expected.Length, a.Length);
        for (int i = 0; i < a.Length; i++) Assert.True(Math.Abs(expected[i] - a[i]) <= tol * Math.Max(1, Math.Abs(expected[i])), $"element {i}: expected {expected[i]:R}, got {a[i]:R}");
    }
}
