// The inference path of attention: with gradients off and enough tokens, q, k and v come from one GEMM against the
// stacked projection weights; it must equal the three separate projections (the training path) and leave the model's
// logits, KV-cache decoding and greedy tokens as they were.
using PluginMoE.Core.Model;
using PluginMoE.Tensors;
using static PluginMoE.Core.Tests.Inference.InferenceModels;
using static PluginMoE.Tensors.torch;

namespace PluginMoE.Core.Tests.Inference;

public sealed class FusedQkvTests
{
    private static double MaxAbs(Tensor a, Tensor b) =>
        a.to(ScalarType.Float64).contiguous().data<double>().Zip(b.to(ScalarType.Float64).contiguous().data<double>(), (x, y) => Math.Abs(x - y)).Max();

    [Theory]
    [InlineData("dense", ScalarType.Float64, 1e-13)]
    [InlineData("gqa", ScalarType.Float64, 1e-13)]
    [InlineData("mqa", ScalarType.Float32, 1e-6)]
    public void Project_Fused_EqualsTheThreeProjections(string config, ScalarType dtype, double tol)
    {
        var c = ByName(config);
        var attn = new CausalSelfAttention(c, new Generator(5), dtype);
        var x = randn([4, 20, c.HiddenSize], dtype, new Generator(6)); // 80 rows >= FusedQkvMinRows
        Assert.True(4 * 20 >= CausalSelfAttention.FusedQkvMinRows);
        var (q0, k0, v0) = attn.Project(x); // gradients on: the separate projections
        Tensor q1, k1, v1;
        using (no_grad()) (q1, k1, v1) = attn.Project(x);
        Assert.Equal(q0.shape, q1.shape);
        Assert.Equal(k0.shape, k1.shape);
        Assert.Equal(v0.shape, v1.shape);
        Assert.Equal(new long[] { 4, c.NumAttentionHeads, 20, c.HeadDim }, q1.shape);
        Assert.Equal(new long[] { 4, c.NumKeyValueHeads, 20, c.HeadDim }, k1.shape);
        Assert.True(MaxAbs(q0, q1) <= tol && MaxAbs(k0, k1) <= tol && MaxAbs(v0, v1) <= tol);
        Assert.True(q0.requires_grad);
        Assert.False(q1.requires_grad);
    }

    [Theory]
    [MemberData(nameof(ConfigNames), MemberType = typeof(InferenceModels))]
    public void Prefill_WithoutGradients_EqualsTheTrainingForward(string config)
    {
        var model = Build(ByName(config), ScalarType.Float64);
        var ids = tensor(Tokens(4 * 20, 256, 11).Select(t => (long)t).ToArray(), [4, 20]);
        var trained = model.forward(ids).Logits; // gradients recorded: separate projections
        Tensor inferred;
        using (no_grad()) inferred = model.forward(ids).Logits; // fused projection
        Assert.True(MaxAbs(trained, inferred) <= 1e-12, $"{config}: {MaxAbs(trained, inferred):G3}");
    }

    [Fact]
    public void BatchedCachePrefillAndGreedyDecoding_EqualTheFullForward()
    {
        var model = Build(MoeModel);
        const int batch = 4, prompt = 16, steps = 6; // 64 prompt rows: the fused path; decode steps: 4 rows, the separate one
        var ids = tensor(Tokens(batch * prompt, 256, 12).Select(t => (long)t).ToArray(), [batch, prompt]);
        var cache = model.CreateKvCache(batch);
        var logits = model.forward(ids, cache).Logits; // (B, P, V)
        var seq = ids;
        for (int s = 0; s < steps; s++)
        {
            var next = logits.narrow(1, logits.size(1) - 1, 1).argmax(-1);                 // (B, 1) greedy
            Tensor full;
            using (no_grad()) full = model.forward(seq).Logits;                           // (B, T, V), no cache
            Assert.True(MaxAbs(full.narrow(1, seq.size(1) - 1, 1), logits.narrow(1, logits.size(1) - 1, 1)) <= 1e-5);
            Assert.Equal(full.narrow(1, seq.size(1) - 1, 1).argmax(-1).data<long>(), next.data<long>());
            seq = cat([seq, next], 1);
            logits = model.forward(next, cache).Logits;                                  // (B, 1, V)
        }
        Assert.Equal(prompt + steps, cache.Length);
    }
}
