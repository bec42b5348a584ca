// Tests for AdamW's multi-tensor step (IBackend.AdamWStepMulti, one pass over all parameters): bitwise equal to one
// AdamWStep per parameter (the unfused path) for odd sizes, empty and strided parameters, mixed float types, maximize,
// 1 and 2 threads; and the errors of bad lists.
using PluginMoE.Tensors.Backends;
using static PluginMoE.Tensors.torch;

namespace PluginMoE.Tensors.Tests.Optimizers;

public class AdamWMultiTensorTests
{
    private static readonly long[][] Shapes = [[3, 5], [0], [1], [17], [33001], [70, 1000], [7, 9]];

    private static List<Tensor> Parameters()
    {
        var ps = new List<Tensor>();
        for (int i = 0; i < Shapes.Length; i++)
            ps.Add(randn(Shapes[i], ScalarType.Float32, new Generator(10 + i)));
        ps.Add(randn([6, 4], ScalarType.Float64, new Generator(30))); // a second type: its own batch
        ps.Add(randn([9, 7], ScalarType.Float32, new Generator(31)).t()); // strided: the per-parameter path
        return ps;
    }

    private static Tensor GradFor(Tensor p, int step, int i) =>
        randn(p.shape, p.dtype, new Generator(100 * step + i)) * (i + 1);

    [Theory]
    [InlineData(1, false)]
    [InlineData(2, false)]
    [InlineData(2, true)]
    public void Step_IsBitwiseTheUnfusedPerParameterUpdate(int threads, bool maximize)
    {
        using var _ = ParallelFor.WithThreads(threads);
        var fused = Parameters().Select(p => p.requires_grad_()).ToList();
        var reference = Parameters().Select(p => p.contiguous()).ToList();
        var m = reference.Select(p => zeros(p.shape, p.dtype)).ToList();
        var v = reference.Select(p => zeros(p.shape, p.dtype)).ToList();
        var opt = new torch.optim.AdamW(fused, lr: 0.01, beta1: 0.9, beta2: 0.99, eps: 1e-8, weight_decay: 0.1, maximize: maximize);
        for (int step = 1; step <= 3; step++)
        {
            for (int i = 0; i < fused.Count; i++)
            {
                fused[i].grad = GradFor(fused[i], step, i);
                var g = GradFor(fused[i], step, i).contiguous();
                reference[i].backend.AdamWStep(reference[i], g, m[i], v[i], 0.01, 0.9, 0.99, 1e-8, 0.1, step, maximize);
            }
            opt.step();
        }
        for (int i = 0; i < fused.Count; i++)
        {
            var state = opt.state[fused[i]];
            Assert.Equal(3, state.step);
            if (fused[i].dtype == ScalarType.Float64)
            {
                Assert.Equal(reference[i].data<double>(), fused[i].detach().contiguous().data<double>());
                Assert.Equal(v[i].data<double>(), state.tensors["exp_avg_sq"].data<double>());
            }
            else
            {
                Assert.Equal(reference[i].data<float>(), fused[i].detach().contiguous().data<float>());
                Assert.Equal(m[i].data<float>(), state.tensors["exp_avg"].data<float>());
                Assert.Equal(v[i].data<float>(), state.tensors["exp_avg_sq"].data<float>());
            }
        }
    }

    [Fact]
    public void Multi_EqualsPerTensorCalls_WithDifferentStepCounts()
    {
        var a = Parameters().Where(p => p.dtype == ScalarType.Float32 && p.is_contiguous()).ToList();
        var b = a.Select(p => p.clone()).ToList();
        var grads = a.Select((p, i) => GradFor(p, 1, i)).ToList();
        var ma = a.Select(p => full(p.shape, 0.1, p.dtype)).ToList();
        var va = a.Select(p => full(p.shape, 0.2, p.dtype)).ToList();
        var mb = ma.Select(t => t.clone()).ToList();
        var vb = va.Select(t => t.clone()).ToList();
        var steps = a.Select((_, i) => (long)(i + 1)).ToList();
        a[0].backend.AdamWStepMulti(a, grads, ma, va, steps, 0.001, 0.9, 0.999, 1e-8, 0.01, maximize: false);
        for (int i = 0; i < b.Count; i++) b[i].backend.AdamWStep(b[i], grads[i], mb[i], vb[i], 0.001, 0.9, 0.999, 1e-8, 0.01, steps[i], false);
        for (int i = 0; i < a.Count; i++)
        {
            Assert.Equal(b[i].data<float>(), a[i].data<float>());
            Assert.Equal(mb[i].data<float>(), ma[i].data<float>());
        }
    }

    [Fact]
    public void Multi_BadLists_NameWhatIsWrong()
    {
        var p = randn(4);
        var be = p.backend;
        var counts = Assert.Throws<ArgumentException>(() => be.AdamWStepMulti([p], [p.clone()], [zeros(4)], [], [1], 1e-3, 0.9, 0.999, 1e-8, 0, false));
        Assert.Contains("AdamWStepMulti: every list needs one entry per parameter (1 parameters), got a list of 0", counts.Message);
        var q = randn([4], ScalarType.Float64);
        var types = Assert.Throws<ArgumentException>(() => be.AdamWStepMulti([p, q], [zeros(4), zeros([4], ScalarType.Float64)], [zeros(4), zeros([4], ScalarType.Float64)],
            [zeros(4), zeros([4], ScalarType.Float64)], [1, 1], 1e-3, 0.9, 0.999, 1e-8, 0, false));
        Assert.Contains("all parameters must have one type, got float32 (parameter 0) and float64 (parameter 1)", types.Message);
        var shapes = Assert.Throws<ArgumentException>(() => be.AdamWStepMulti([p], [zeros(5)], [zeros(4)], [zeros(4)], [1], 1e-3, 0.9, 0.999, 1e-8, 0, false));
        Assert.Contains("AdamWStepMulti: all tensors must be contiguous float32 of shape [4], got float32 [5]", shapes.Message);
    }
}
