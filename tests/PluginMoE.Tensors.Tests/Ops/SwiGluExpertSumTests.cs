// Tests for F.swiglu_expert_sum (IBackend.SwiGluExpertSum, the MoE decode path): against the per-slot composition
// linear -> swiglu -> linear summed in increasing expert id (bitwise in float32 and float64: the CPU kernel forms the
// products as the one-row GEMM does), experts of different hidden widths, several slots per expert, unused experts,
// addTo, thread-count independence, and the error messages.
using PluginMoE.Tensors.Backends;
using static PluginMoE.Tensors.torch;
using F = PluginMoE.Tensors.torch.nn.functional;

namespace PluginMoE.Tensors.Tests.Ops;

public class SwiGluExpertSumTests
{
    private const int D = 40;
    private static readonly int[] Hidden = [48, 37, 64, 20]; // 37 and 20: row blocks and four-row groups with a remainder

    private sealed record Weights(Tensor[] Gate, Tensor[] Up, Tensor[] Down);

    private static Weights MakeWeights(ScalarType dtype)
    {
        Tensor Make(int rows, int cols, int seed) => randn([rows, cols], dtype, new Generator(seed)) * (1 / Math.Sqrt(cols));
        return new Weights(
            [.. Hidden.Select((h, e) => Make(h, D, 10 + e))],
            [.. Hidden.Select((h, e) => Make(h, D, 20 + e))],
            [.. Hidden.Select((h, e) => Make(D, h, 30 + e))]);
    }

    // Slots of 3 tokens: token 0 -> experts 2, 0; token 1 -> 2 (twice: two slots of one expert), token 2 -> 0, 3; expert 1 unused.
    private static readonly int[] Tokens = [0, 0, 1, 1, 2, 2];
    private static readonly int[] Experts = [2, 0, 2, 2, 0, 3];
    private static readonly double[] SlotWeights = [0.7, 0.3, 0.25, 0.5, 1.0, -0.4];

    /// <summary>y_t = a_t, then per expert ascending and slots in order: y_t = y_t + w * down(swiglu(gate x_t, up x_t)).</summary>
    private static Tensor Reference(Tensor x, Weights w, Tensor? addTo)
    {
        var rows = Enumerable.Range(0, (int)x.size(0)).Select(t => addTo is null ? zeros([1, D], x.dtype) : addTo.narrow(0, t, 1).clone()).ToArray();
        var order = Enumerable.Range(0, Tokens.Length).OrderBy(s => Experts[s]).ThenBy(s => s);
        foreach (int s in order)
        {
            int e = Experts[s];
            var xt = x.narrow(0, Tokens[s], 1);
            var ffn = F.linear(F.swiglu(F.linear(xt, w.Gate[e]), F.linear(xt, w.Up[e])), w.Down[e]); // (1, D)
            var weight = tensor(new[] { SlotWeights[s] }).to(x.dtype);
            rows[Tokens[s]] = rows[Tokens[s]] + ffn * weight;
        }
        return cat(rows, 0);
    }

    [Theory]
    [InlineData(ScalarType.Float32, false)]
    [InlineData(ScalarType.Float32, true)]
    [InlineData(ScalarType.Float64, false)]
    [InlineData(ScalarType.Float64, true)]
    public void EqualsThePerSlotComposition_Bitwise(ScalarType dtype, bool withAddTo)
    {
        using var noGrad = no_grad();
        var w = MakeWeights(dtype);
        var x = randn([3, D], dtype, new Generator(1));
        var addTo = withAddTo ? randn([3, D], dtype, new Generator(2)) : null;
        var y = F.swiglu_expert_sum(x, Tokens, Experts, SlotWeights, w.Gate, w.Up, w.Down, addTo);
        var expected = Reference(x, w, addTo);
        Assert.Equal(new long[] { 3, D }, y.shape);
        Assert.Equal(expected.to(ScalarType.Float64).data<double>(), y.to(ScalarType.Float64).data<double>());
        Assert.True(y.abs().max().ToDouble() > 0.1);
    }

    [Fact]
    public void ResultDoesNotDependOnTheThreadCount()
    {
        using var noGrad = no_grad();
        var w = MakeWeights(ScalarType.Float32);
        var x = randn([3, D], ScalarType.Float32, new Generator(1));
        Tensor Run(int threads)
        {
            using var scope = ParallelFor.WithThreads(threads);
            return F.swiglu_expert_sum(x, Tokens, Experts, SlotWeights, w.Gate, w.Up, w.Down);
        }
        var one = Run(1).data<float>();
        Assert.Equal(one, Run(2).data<float>());
        Assert.Equal(one, Run(3).data<float>());
    }

    [Fact]
    public void TransposedWeightViewsAndNoSlots_Work()
    {
        using var noGrad = no_grad();
        var w = MakeWeights(ScalarType.Float64);
        var x = randn([3, D], ScalarType.Float64, new Generator(1));
        // Weights given as transposed views of their transposes (column-major storage): same values.
        var t = new Weights([.. w.Gate.Select(g => g.t().contiguous().t())], [.. w.Up.Select(g => g.t().contiguous().t())], [.. w.Down.Select(g => g.t().contiguous().t())]);
        var a = F.swiglu_expert_sum(x, Tokens, Experts, SlotWeights, w.Gate, w.Up, w.Down);
        var b = F.swiglu_expert_sum(x, Tokens, Experts, SlotWeights, t.Gate, t.Up, t.Down);
        Assert.True((a - b).abs().max().ToDouble() < 1e-12);
        var addTo = randn([3, D], ScalarType.Float64, new Generator(4));
        Assert.Equal(addTo.data<double>(), F.swiglu_expert_sum(x, [], [], [], w.Gate, w.Up, w.Down, addTo).data<double>());
    }

    [Fact]
    public void BadInput_IsRefusedWithAClearMessage()
    {
        var w = MakeWeights(ScalarType.Float32);
        var x = randn([3, D], ScalarType.Float32, new Generator(1));
        using (no_grad())
        {
            var e = Assert.Throws<ArgumentException>(() => F.swiglu_expert_sum(x, [0], [4], [1.0], w.Gate, w.Up, w.Down));
            Assert.Equal("swiglu_expert_sum: slot 0 names expert 4, but 4 experts are given (0..3)", e.Message);
            e = Assert.Throws<ArgumentException>(() => F.swiglu_expert_sum(x, [3], [0], [1.0], w.Gate, w.Up, w.Down));
            Assert.Equal("swiglu_expert_sum: slot 0 names token 3, but the input has 3 rows (0..2)", e.Message);
            e = Assert.Throws<ArgumentException>(() => F.swiglu_expert_sum(x, [0, 1], [0], [1.0], w.Gate, w.Up, w.Down));
            Assert.Equal("swiglu_expert_sum: 2 slot tokens, 1 slot experts and 1 slot weights; give one of each per slot", e.Message);
            e = Assert.Throws<ArgumentException>(() => F.swiglu_expert_sum(x, [0], [0], [1.0], w.Gate, w.Up, [.. w.Down.Select(d => d.t())]));
            Assert.StartsWith("swiglu_expert_sum: down weight 0 has shape [48, 40], expected [40, 48]", e.Message);
        }
        var g = x.clone().requires_grad_();
        var ex = Assert.Throws<InvalidOperationException>(() => F.swiglu_expert_sum(g, [0], [0], [1.0], w.Gate, w.Up, w.Down));
        Assert.StartsWith("swiglu_expert_sum: an input requires gradients while gradients are enabled; this op has no backward", ex.Message);
    }
}
