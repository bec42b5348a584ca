// The grouped-GEMM and SwiGLU kernels on the LibTorch backend (torch-cpu runs IBackend's default implementations:
// one Gemm per entry, and silu then multiply) against the CPU backend's fused/tiled kernels, through the autograd ops.
using static PluginMoE.Tensors.Torch.Tests.TorchTestSupport;
using F = PluginMoE.Tensors.torch.nn.functional;

namespace PluginMoE.Tensors.Torch.Tests;

public class GroupedKernelParityTests
{
    [Theory]
    [InlineData(ScalarType.Float32)]
    [InlineData(ScalarType.Float64)]
    public void GroupedLinearAndSwiGlu_ForwardAndGradients_MatchTheCpuBackend(ScalarType t)
    {
        long[] counts = [9, 0, 20, 3];
        var g = new Generator(41);
        var (x, dx) = Same(torch.randn([32, 12], t, g));
        var w = Enumerable.Range(0, 4).Select(_ => Same(torch.randn([10, 12], t, g))).ToArray();
        var (up, dup) = Same(torch.randn([32, 10], t, g));
        x.requires_grad_();
        dx.requires_grad_();
        foreach (var (c, d) in w)
        {
            c.requires_grad_();
            d.requires_grad_();
        }
        var yc = F.swiglu(F.grouped_linear(x, [.. w.Select(p => p.cpu)], counts), up);
        var yd = F.swiglu(F.grouped_linear(dx, [.. w.Select(p => p.dev)], counts), dup);
        Close(yc, yd, t, "forward");
        yc.sum().backward();
        yd.sum().backward();
        Close(x.grad!, dx.grad!, t, "input grad");
        for (int e = 0; e < 4; e++)
        {
            if (counts[e] == 0)
            {
                Assert.Null(w[e].dev.grad);
                continue;
            }
            Close(w[e].cpu.grad!, w[e].dev.grad!, t, $"weight {e} grad");
        }
    }

    [Theory]
    [InlineData(ScalarType.Float32)]
    [InlineData(ScalarType.Float64)]
    public void SwiGluOnGateUpHalves_ForwardAndGradient_MatchTheCpuBackend(ScalarType t)
    {
        // LibTorch runs IBackend's default SwiGluHalves (swiglu on the two strided halves, backward joined by Cat).
        var (gu, dgu) = Same(torch.randn([2, 5, 14], t, new Generator(42)));
        var (probe, dprobe) = Same(torch.randn([2, 5, 7], t, new Generator(43)));
        gu.requires_grad_();
        dgu.requires_grad_();
        var yc = F.swiglu_chunked(gu);
        var yd = F.swiglu_chunked(dgu);
        Close(yc, yd, t, "forward");
        (yc * probe).sum().backward();
        (yd * dprobe).sum().backward();
        Close(gu.grad!, dgu.grad!, t, "gate-up grad");
    }
}
