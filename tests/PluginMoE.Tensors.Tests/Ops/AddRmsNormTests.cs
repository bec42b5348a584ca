// F.add_rms_norm (residual add fused with RMSNorm, Zhang & Sennrich 2019 eq. 4): finite differences in float64,
// equality with the unfused x + residual then rms_norm (values and gradients, through both results), errors.
using static PluginMoE.Tensors.Tests.Ops.FusedInputs;
using F = PluginMoE.Tensors.torch.nn.functional;

namespace PluginMoE.Tensors.Tests.Ops;

public class AddRmsNormTests
{
    [Fact]
    public void AddRmsNorm_BothResults_GradientsMatchFiniteDifferences()
    {
        var g = new Generator(80);
        // Loss uses the sum and the normalised output, as a pre-norm block does (residual stream + norm input).
        GradCheck.Check(t =>
        {
            var (sum, y) = F.add_rms_norm(t[0], t[1], [5], t[2], eps: 1e-5);
            return y * t[3] + sum * sum;
        }, [GradCheck.Input(g, 2, 3, 5), GradCheck.Input(g, 2, 3, 5), GradCheck.Input(g, 5), GradCheck.Input(g, 2, 3, 5)]);
        // Without a weight.
        GradCheck.Check(t => F.add_rms_norm(t[0], t[1], [4]).output, [GradCheck.Input(g, 3, 4), GradCheck.Input(g, 3, 4)]);
    }

    [Theory]
    [InlineData(ScalarType.Float64, 1e-14)]
    [InlineData(ScalarType.Float32, 1e-6)]
    public void AddRmsNorm_EqualsUnfusedAddThenRmsNorm(ScalarType dtype, double tol)
    {
        var g = new Generator(81);
        var x0 = torch.randn([4, 7, 48], dtype, g);
        var r0 = torch.randn([4, 7, 48], dtype, g);
        var w0 = torch.randn([48], dtype, g);
        var dSum = torch.randn([4, 7, 48], dtype, g);
        var dY = torch.randn([4, 7, 48], dtype, g);
        Tensor[] Run(bool fused)
        {
            var x = x0.detach().requires_grad_();
            var r = r0.detach().requires_grad_();
            var w = w0.detach().requires_grad_();
            Tensor sum, y;
            if (fused) (sum, y) = F.add_rms_norm(x, r, [48], w, 1e-6);
            else
            {
                sum = x + r;
                y = F.rms_norm(sum, [48], w, 1e-6);
            }
            ((sum * dSum).sum() + (y * dY).sum()).backward();
            return [sum, y, x.grad!, r.grad!, w.grad!];
        }
        var fusedOut = Run(true);
        var unfused = Run(false);
        for (int i = 0; i < fusedOut.Length; i++) AssertClose(unfused[i], fusedOut[i], tol);
    }

    [Fact]
    public void AddRmsNorm_MismatchedResidual_FailsNamingShapes()
    {
        var e = Assert.Throws<ArgumentException>(() => F.add_rms_norm(torch.ones([2, 4]), torch.ones([1, 4]), [4]));
        Assert.Contains("add_rms_norm: input [2, 4] (float32) and residual [1, 4] (float32) must have the same shape and dtype", e.Message);
    }
}
