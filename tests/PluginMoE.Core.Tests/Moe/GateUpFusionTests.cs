// The wide grouped SwiGLU path with gate and up as one product (one grouped GEMM against per-step [Wg; Wu], swiglu on
// the two halves, the concatenation's backward handing d[Wg; Wu] to the experts' own gate and up) against the same
// dispatch with two separate products: outputs and every gradient (input, gate weights, every expert's gate, up and
// down), odd widths, idle experts, float32 and float64, 1 and 2 threads.
using PluginMoE.Abstractions.Experts;
using PluginMoE.Core.Moe;
using PluginMoE.Plugins.Experts;
using PluginMoE.Tensors;
using PluginMoE.Tensors.Backends;
using static PluginMoE.Tensors.torch;

namespace PluginMoE.Core.Tests.Moe;

public class GateUpFusionTests
{
    [Theory]
    [InlineData(ScalarType.Float64, 1, 1e-12)]
    [InlineData(ScalarType.Float64, 2, 1e-12)]
    [InlineData(ScalarType.Float32, 1, 2e-5)]
    [InlineData(ScalarType.Float32, 2, 2e-5)]
    public void OneGateUpProduct_EqualsSeparateProducts_OutputAndEveryGradient(ScalarType dtype, int threads, double rel)
    {
        using var _ = ParallelFor.WithThreads(threads);
        const int tokens = 150, dim = 37, hidden = 45, experts = 6;
        var g = new Generator(31);
        var list = Enumerable.Range(0, experts)
            .Select(_ => (SwiGluExpert)new SwiGluExpertFactory().Create(new ExpertSpec(dim, hidden) { Generator = g, DType = dtype }))
            .ToList();
        var x = randn([tokens, dim], dtype, g).requires_grad_();
        // Experts 1 and 4 get no tokens: their weights must get no gradient on either path.
        long[] used = [0, 2, 3, 5];
        var indices = tensor(randint(0, used.Length, [tokens, 2], generator: g).data<long>().Select(i => used[i]).ToArray()).reshape(tokens, 2);
        var weights = rand([tokens, 2], dtype, g).requires_grad_();
        var probe = randn([tokens, dim], dtype, g);
        Assert.True(DroplessDispatch.FuseGateUp(randn([2 * tokens, dim], dtype), [.. list.Select(e => e.GroupedWeights!)]));

        var fused = Run(true);
        var separate = Run(false);
        Assert.Equal(separate.Select(p => p.Name), fused.Select(p => p.Name));
        foreach (var ((name, a), (_, b)) in fused.Zip(separate))
        {
            if (b is null)
            {
                Assert.Null(a);
                continue;
            }
            Assert.NotNull(a);
            double diff = (a.to(ScalarType.Float64) - b.to(ScalarType.Float64)).abs().max().ToDouble();
            double max = b.to(ScalarType.Float64).abs().max().ToDouble();
            Assert.True(diff <= rel * Math.Max(max, 1e-3) * 4, $"{name}: differs by {diff} (max {max})");
        }
        foreach (int e in new[] { 1, 4 })
            Assert.Null(fused.Single(p => p.Name == $"experts.{e}.gate").Value);

        List<(string Name, Tensor? Value)> Run(bool fuse)
        {
            x.grad = null;
            weights.grad = null;
            foreach (var p in list.SelectMany(e => e.parameters())) p.grad = null;
            bool saved = DroplessDispatch.GateUpFusion;
            try
            {
                DroplessDispatch.GateUpFusion = fuse;
                var y = DroplessDispatch.forward(x, indices, weights, [.. list.Cast<IExpert>()]);
                (y * probe).sum().backward();
                var result = new List<(string, Tensor?)> { ("y", y.detach().clone()), ("x", x.grad?.clone()), ("weights", weights.grad?.clone()) };
                for (int e = 0; e < experts; e++)
                {
                    result.Add(($"experts.{e}.gate", list[e].gate_proj.weight.grad?.clone()));
                    result.Add(($"experts.{e}.up", list[e].up_proj.weight.grad?.clone()));
                    result.Add(($"experts.{e}.down", list[e].down_proj.weight.grad?.clone()));
                }
                return result;
            }
            finally
            {
                DroplessDispatch.GateUpFusion = saved;
            }
        }
    }

    [Fact]
    public void DecodeSizedGroups_KeepTwoProducts()
    {
        var g = new Generator(32);
        var group = Enumerable.Range(0, 4)
            .Select(_ => ((SwiGluExpert)new SwiGluExpertFactory().Create(new ExpertSpec(8, 12) { Generator = g })).GroupedWeights!)
            .ToArray();
        Assert.False(DroplessDispatch.FuseGateUp(zeros(4 * DroplessDispatch.GateUpMinRowsPerExpert - 1, 8), group));
        Assert.True(DroplessDispatch.FuseGateUp(zeros(4 * DroplessDispatch.GateUpMinRowsPerExpert, 8), group));
    }
}
