// Blocked (tile GEMM) fused attention forward/backward against the unfused composite softmax(Q K^T * scale + mask) V
// in float64 (values and all three gradients) at shapes that hit every tile edge, and bitwise equality of the
// one-pass and two-pass backward schedules (1 thread vs many threads); the forward on strided head views (the fused
// QKV layout) at any thread count.
using PluginMoE.Tensors.Backends;
using static PluginMoE.Tensors.Tests.Ops.FusedInputs;
using F = PluginMoE.Tensors.torch.nn.functional;

namespace PluginMoE.Tensors.Tests.Ops;

public class AttentionBlockedTests
{
    /// <summary>softmax(scale * Q K^T + mask) V with GQA by repeat_interleave and the bottom-right causal mask.</summary>
    private static Tensor Composite(Tensor q, Tensor k, Tensor v, bool causal)
    {
        long hq = q.size(1), hkv = k.size(1), t = q.size(2), s = k.size(2), d = q.size(3);
        if (hq != hkv)
        {
            k = k.repeat_interleave(hq / hkv, 1);
            v = v.repeat_interleave(hq / hkv, 1);
        }
        var scores = torch.matmul(q, k.transpose(2, 3)) * (1.0 / Math.Sqrt(d));
        if (causal)
        {
            var mask = new double[t * s];
            for (long i = 0; i < t; i++)
                for (long j = 0; j < s; j++)
                    mask[i * s + j] = j <= i + (s - t) ? 0 : double.NegativeInfinity;
            scores = scores + torch.tensor(mask, [t, s]);
        }
        return torch.matmul(scores.softmax(-1), v);
    }

    [Theory]
    // B, Hq, Hkv, T, S, D, Dv, causal, block
    [InlineData(2, 4, 2, 37, 37, 17, 17, true, 16)]   // T not a multiple of the block, D with a scalar tail
    [InlineData(1, 3, 1, 70, 70, 32, 24, true, 64)]   // multi-query, two blocks, Dv != D
    [InlineData(2, 2, 2, 19, 45, 8, 5, true, 8)]      // KV-cache shape (S > T), tiny Dv
    [InlineData(1, 2, 2, 33, 50, 16, 16, false, 16)]  // no mask, ragged key blocks
    [InlineData(1, 1, 1, 1, 9, 4, 4, true, 64)]       // one query row
    public void Blocked_EqualsComposite_ValuesAndGradients(int b, int hq, int hkv, int t, int s, int d, int dv, bool causal, int block)
    {
        F.AttentionBlockSize = block;
        var g = new Generator(50 + t + s);
        var q0 = torch.randn([b, hq, t, d], ScalarType.Float64, g);
        var k0 = torch.randn([b, hkv, s, d], ScalarType.Float64, g);
        var v0 = torch.randn([b, hkv, s, dv], ScalarType.Float64, g);
        var dy = torch.randn([b, hq, t, dv], ScalarType.Float64, g);
        Tensor[] Run(Func<Tensor, Tensor, Tensor, Tensor> f)
        {
            var q = q0.detach().requires_grad_();
            var k = k0.detach().requires_grad_();
            var v = v0.detach().requires_grad_();
            var y = f(q, k, v);
            y.backward(dy);
            return [y, q.grad!, k.grad!, v.grad!];
        }
        var fused = Run((q, k, v) => F.scaled_dot_product_attention(q, k, v, is_causal: causal));
        var reference = Run((q, k, v) => Composite(q, k, v, causal));
        for (int i = 0; i < 4; i++) AssertClose(reference[i], fused[i], 1e-12);
    }

    [Theory]
    [InlineData(128, 32, 64)] // the suite's tiny prefill shape: two key blocks of 64, one-pass rows of whole vectors
    [InlineData(45, 32, 64)]  // rows of 1..45 visible keys: whole vectors and the masked last vector of the row softmax
    public void Forward_Float32_EqualsFloat64Composite(int t, int d, int block)
    {
        F.AttentionBlockSize = block;
        var g = new Generator(80 + t);
        var q = torch.randn([2, 4, t, d], ScalarType.Float64, g);
        var k = torch.randn([2, 4, t, d], ScalarType.Float64, g);
        var v = torch.randn([2, 4, t, d], ScalarType.Float64, g);
        var reference = Composite(q, k, v, causal: true);
        var fused = F.scaled_dot_product_attention(q.to(ScalarType.Float32), k.to(ScalarType.Float32), v.to(ScalarType.Float32), is_causal: true);
        AssertClose(reference, fused.to(ScalarType.Float64), 2e-5);
    }

    [Theory]
    [InlineData(128, 32, 64)] // the suite's tiny training shape: two key blocks of 64
    [InlineData(45, 32, 64)]  // rows of 1..45 visible keys: the backward row pass's masked last vector
    [InlineData(37, 16, 16)]  // ragged blocks: rows of 1..16 visible keys per block, 4-lane remainders
    public void Backward_Float32_EqualsFloat64Composite(int t, int d, int block)
    {
        F.AttentionBlockSize = block;
        var g = new Generator(90 + t);
        var q0 = torch.randn([2, 4, t, d], ScalarType.Float64, g);
        var k0 = torch.randn([2, 2, t, d], ScalarType.Float64, g);
        var v0 = torch.randn([2, 2, t, d], ScalarType.Float64, g);
        var dy = torch.randn([2, 4, t, d], ScalarType.Float64, g);
        Tensor[] Run(ScalarType dtype, Func<Tensor, Tensor, Tensor, Tensor> f)
        {
            var q = q0.to(dtype).detach().requires_grad_();
            var k = k0.to(dtype).detach().requires_grad_();
            var v = v0.to(dtype).detach().requires_grad_();
            f(q, k, v).backward(dy.to(dtype));
            return [q.grad!.to(ScalarType.Float64), k.grad!.to(ScalarType.Float64), v.grad!.to(ScalarType.Float64)];
        }
        var reference = Run(ScalarType.Float64, (q, k, v) => Composite(q, k, v, causal: true));
        var fused = Run(ScalarType.Float32, (q, k, v) => F.scaled_dot_product_attention(q, k, v, is_causal: true));
        for (int i = 0; i < 3; i++) AssertClose(reference[i], fused[i], 5e-5);
    }

    [Theory]
    [InlineData(2, 4, 2, 21, 50, 16)] // KV-cache shape (S > T), GQA: a worker's packed K^T is reused across the group's heads
    [InlineData(3, 2, 1, 40, 40, 8)]  // chunks that start and end inside one head's query blocks
    public void Forward_StridedInputs_AnyThreadCount_EqualsComposite(int b, int hq, int hkv, int t, int s, int block)
    {
        // q, k, v as head views of one (B, T, H + 2 Hkv, D) projection (the inference path's fused QKV layout): rows
        // contiguous, heads strided. The forward packs each (b, kv head)'s K^T once per worker and extends it block by
        // block; its output must equal the composite's and be bitwise the same for every thread count.
        F.AttentionBlockSize = block;
        const int d = 24;
        var g = new Generator(90 + b);
        var qkv = torch.randn([b, s, hq + 2 * hkv, d], ScalarType.Float64, g).transpose(1, 2); // (B, H + 2Hkv, S, D)
        var q = qkv.narrow(1, 0, hq).narrow(2, s - t, t);
        var k = qkv.narrow(1, hq, hkv);
        var v = qkv.narrow(1, hq + hkv, hkv);
        var expected = Composite(q.contiguous(), k.contiguous(), v.contiguous(), causal: true).data<double>();
        double[]? first = null;
        foreach (int threads in new[] { 1, 2, 3, 7 })
        {
            using var _ = ParallelFor.WithThreads(threads);
            var y = F.scaled_dot_product_attention(q, k, v, is_causal: true).data<double>();
            for (int i = 0; i < y.Length; i++) Assert.Equal(expected[i], y[i], 1e-12);
            if (first is null) first = y;
            else Assert.Equal(first, y);
        }
    }

    [Theory]
    [InlineData(1, 1, 1)] // one (b, kv head) pair: many threads run the two-pass schedule, one thread the one-pass schedule
    [InlineData(2, 4, 2)] // four pairs
    [InlineData(3, 4, 4)] // twelve pairs: one pass for every thread count tried
    public void Backward_OneAndManyThreads_AreBitwiseEqual(int b, int hq, int hkv)
    {
        F.AttentionBlockSize = 16;
        var g = new Generator(60 + b);
        var q0 = torch.randn([b, hq, 53, 24], ScalarType.Float32, g);
        var k0 = torch.randn([b, hkv, 53, 24], ScalarType.Float32, g);
        var v0 = torch.randn([b, hkv, 53, 24], ScalarType.Float32, g);
        var dy = torch.randn([b, hq, 53, 24], ScalarType.Float32, g);
        float[][] Run(int threads)
        {
            using var _ = ParallelFor.WithThreads(threads);
            var q = q0.detach().requires_grad_();
            var k = k0.detach().requires_grad_();
            var v = v0.detach().requires_grad_();
            var y = F.scaled_dot_product_attention(q, k, v, is_causal: true);
            y.backward(dy);
            return [y.data<float>(), q.grad!.data<float>(), k.grad!.data<float>(), v.grad!.data<float>()];
        }
        var one = Run(1);
        foreach (int threads in new[] { 2, 3, 8 })
        {
            var many = Run(threads);
            for (int i = 0; i < 4; i++) Assert.Equal(one[i], many[i]);
        }
    }

    [Fact]
    public void Blocked_RaggedTilesWithGqa_GradientsMatchFiniteDifferences()
    {
        F.AttentionBlockSize = 4;
        var g = new Generator(70);
        // T = 9 and S = 11 (ragged blocks of 4), D = 5 (scalar tail), Hq = 2, Hkv = 1.
        GradCheck.Check(t => F.scaled_dot_product_attention(t[0], t[1], t[2], is_causal: true),
            [GradCheck.Input(g, 1, 2, 9, 5), GradCheck.Input(g, 1, 1, 11, 5), GradCheck.Input(g, 1, 1, 11, 5)]);
    }
}
