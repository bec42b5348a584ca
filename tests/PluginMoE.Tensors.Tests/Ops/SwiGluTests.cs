// Tests for the fused SwiGLU gate nn.functional.swiglu(gate, up) = silu(gate) * up: equivalence with the unfused
// composite (values bitwise, gradients within rounding), float64 finite differences, strided inputs and errors; the
// gate-up form swiglu_chunked(gateUp) against swiglu on its two halves (bitwise, both kernel paths, 1 and 2 threads).
using static PluginMoE.Tensors.torch;
using F = PluginMoE.Tensors.torch.nn.functional;

namespace PluginMoE.Tensors.Tests.Ops;

public class SwiGluTests
{
    [Fact]
    public void Forward_EqualsSiluTimesUp_Bitwise_AndGradientsMatchTheUnfusedPath()
    {
        var gate = (randn([37, 129], generator: new Generator(1)) * 4).requires_grad_(); // past both tails of the sigmoid
        var up = randn([37, 129], generator: new Generator(2)).requires_grad_();
        var w = randn([37, 129], generator: new Generator(3));

        var fused = F.swiglu(gate, up);
        (fused * w).sum().backward();
        var (dg, du) = (gate.grad!.clone(), up.grad!.clone());
        gate.grad = null;
        up.grad = null;
        var unfused = F.silu(gate) * up;
        (unfused * w).sum().backward();

        Assert.Equal(unfused.data<float>(), fused.data<float>());
        Assert.True((dg - gate.grad!).abs().max().ToDouble() < 1e-5);
        Assert.True((du - up.grad!).abs().max().ToDouble() < 1e-6);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void RegisterLoops_AreBitwiseTheBlockPath(int threads) // the float32 one-pass kernels against the L1-block passes
    {
        using var _ = PluginMoE.Tensors.Backends.ParallelFor.WithThreads(threads);
        var gate = randn([5, 1031], generator: new Generator(11)) * 6; // 5155 elements: two chunks, vector tails, both sigmoid branches
        var up = randn([5, 1031], generator: new Generator(12));
        var g = randn([5, 1031], generator: new Generator(13));
        var be = gate.backend;
        bool saved = PluginMoE.Tensors.Backends.CpuBackend.SwiGluRegisterLoops;
        try
        {
            PluginMoE.Tensors.Backends.CpuBackend.SwiGluRegisterLoops = false;
            var yBlock = be.SwiGlu(gate, up);
            var (dgBlock, duBlock) = be.SwiGluBackward(g, gate, up);
            PluginMoE.Tensors.Backends.CpuBackend.SwiGluRegisterLoops = true;
            var y = be.SwiGlu(gate, up);
            var (dg, du) = be.SwiGluBackward(g, gate, up);
            Assert.Equal(yBlock.data<float>(), y.data<float>());
            Assert.Equal(dgBlock.data<float>(), dg.data<float>());
            Assert.Equal(duBlock.data<float>(), du.data<float>());
        }
        finally
        {
            PluginMoE.Tensors.Backends.CpuBackend.SwiGluRegisterLoops = saved;
        }
    }

    [Fact]
    public void Backward_Float64_MatchesFiniteDifferences()
    {
        var gate = GradCheck.Input(new Generator(4), 7, 5);
        var up = GradCheck.Input(new Generator(5), 7, 5);
        GradCheck.Check(t => F.swiglu(t[0], t[1]), [gate, up]);
    }

    [Fact]
    public void StridedOperands_GiveTheSameValuesAsContiguousOnes()
    {
        var gate = randn([6, 9], ScalarType.Float64, new Generator(6));
        var up = randn([9, 6], ScalarType.Float64, new Generator(7));
        var strided = F.swiglu(gate, up.t());
        var contiguous = F.swiglu(gate, up.t().contiguous());
        Assert.Equal(contiguous.data<double>(), strided.data<double>());
    }

    [Fact]
    public void MismatchedOperands_NameTheShapesAndTypes()
    {
        var shape = Assert.Throws<ArgumentException>(() => F.swiglu(randn([2, 3]), randn([3, 2])));
        Assert.Contains("swiglu: gate [2, 3] and up [3, 2] must have the same shape", shape.Message);
        var type = Assert.Throws<ArgumentException>(() => F.swiglu(randn([2, 3]), randn([2, 3], ScalarType.Float64)));
        Assert.Contains("gate is float32 but up is float64", type.Message);
    }

    [Theory]
    [InlineData(ScalarType.Float32, 1, true)]
    [InlineData(ScalarType.Float32, 2, true)]
    [InlineData(ScalarType.Float32, 2, false)]
    [InlineData(ScalarType.Float64, 2, true)]
    public void GateUpHalves_EqualSwiGluOnTheHalves_Bitwise_AndTheGradientIsBothHalvesJoined(ScalarType dtype, int threads, bool registerLoops)
    {
        // h = 131: vector tails in every row; 3-D with 2 x 23 rows: several rows per chunk and split over the threads.
        using var _ = PluginMoE.Tensors.Backends.ParallelFor.WithThreads(threads);
        const int h = 131;
        var gu = (randn([2, 23, 2 * h], dtype, new Generator(21)) * 5).requires_grad_();
        var probe = randn([2, 23, h], dtype, new Generator(22));
        bool saved = PluginMoE.Tensors.Backends.CpuBackend.SwiGluRegisterLoops;
        try
        {
            PluginMoE.Tensors.Backends.CpuBackend.SwiGluRegisterLoops = registerLoops && saved;
            var y = F.swiglu_chunked(gu);
            (y * probe).sum().backward();
            var dgu = gu.grad!.clone();

            var gate = gu.detach().narrow(2, 0, h).contiguous().requires_grad_();
            var up = gu.detach().narrow(2, h, h).contiguous().requires_grad_();
            var reference = F.swiglu(gate, up);
            (reference * probe).sum().backward();

            Assert.Equal([2L, 23, h], y.shape);
            Assert.Equal(reference.to(ScalarType.Float64).data<double>(), y.to(ScalarType.Float64).data<double>());
            Assert.Equal(cat([gate.grad!, up.grad!], 2).to(ScalarType.Float64).data<double>(), dgu.to(ScalarType.Float64).data<double>());
        }
        finally
        {
            PluginMoE.Tensors.Backends.CpuBackend.SwiGluRegisterLoops = saved;
        }
    }

    [Fact]
    public void GateUpHalves_Float64_MatchFiniteDifferences_AndStridedInputIsRead()
    {
        GradCheck.Check(t => F.swiglu_chunked(t[0]), [GradCheck.Input(new Generator(23), 5, 6)]);
        var t = randn([10, 3], ScalarType.Float64, new Generator(24));
        Assert.Equal(F.swiglu_chunked(t.t().contiguous()).data<double>(), F.swiglu_chunked(t.t()).data<double>());
    }

    [Fact]
    public void GateUpHalves_OddLastDimension_SaysWhatIsExpected()
    {
        var err = Assert.Throws<ArgumentException>(() => F.swiglu_chunked(randn([4, 7])));
        Assert.Equal("swiglu: a gate-up tensor needs an even last dimension (gate then up), got shape [4, 7]", err.Message);
    }
}
