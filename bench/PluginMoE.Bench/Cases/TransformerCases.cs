// Fused transformer kernels (work = elements of the main input per run; attention reports GFLOP/s
// of the two score/value products, 4*B*H*T*S*D/2 for a causal mask).
using PluginMoE.Tensors;
using F = PluginMoE.Tensors.torch.nn.functional;

namespace PluginMoE.Bench.Cases;

internal static class TransformerCases
{
    public static IEnumerable<BenchCase> Create()
    {
        var f32 = new Dictionary<string, string> { ["dtype"] = "float32" };
        var fb = new Dictionary<string, string> { ["dtype"] = "float32", ["pass"] = "fwd+bwd" };
        const long rows = 4096, cols = 1024;
        yield return new BenchCase("softmax", [rows, cols], "elems", rows * cols, () =>
        {
            var x = torch.randn([rows, cols], ScalarType.Float32, new Generator(1));
            return () => x.softmax(-1);
        }, f32);
        yield return new BenchCase("silu", [rows, cols], "elems", rows * cols, () =>
        {
            var x = torch.randn([rows, cols], ScalarType.Float32, new Generator(1));
            return () => F.silu(x);
        }, f32);
        yield return new BenchCase("rms_norm", [rows, cols], "elems", rows * cols, () =>
        {
            var g = new Generator(1);
            var x = torch.randn([rows, cols], ScalarType.Float32, g);
            var w = torch.randn([cols], ScalarType.Float32, g);
            return () => F.rms_norm(x, [cols], w, 1e-6);
        }, f32);
        yield return new BenchCase("cross_entropy", [2048, 8192], "elems", 2048L * 8192, () =>
        {
            var g = new Generator(1);
            var x = torch.randn([2048, 8192], ScalarType.Float32, g).requires_grad_();
            var t = torch.randint(0, 8192, [2048], generator: g);
            return () =>
            {
                x.grad = null;
                F.cross_entropy(x, t).backward();
            };
        }, fb);
        // (1, 8, 512, 64) and the tiny model's attention (batch 8, 4 heads, seq 128, head dim 32).
        foreach (var (b, h, T, d) in new[] { (1L, 8L, 512L, 64L), (8L, 4L, 128L, 32L) })
        {
            double attnFlops = 4.0 * b * h * T * T * d / 2; // causal: half the score matrix
            yield return new BenchCase("attention_causal", [b, h, T, d], "gflops", attnFlops, () =>
            {
                var g = new Generator(1);
                var q = torch.randn([b, h, T, d], ScalarType.Float32, g);
                var k = torch.randn([b, h, T, d], ScalarType.Float32, g);
                var v = torch.randn([b, h, T, d], ScalarType.Float32, g);
                return () => F.scaled_dot_product_attention(q, k, v, is_causal: true);
            }, f32);
            yield return new BenchCase("attention_causal", [b, h, T, d], "gflops", 3.5 * attnFlops, () =>
            {
                var g = new Generator(1);
                var q = torch.randn([b, h, T, d], ScalarType.Float32, g).requires_grad_();
                var k = torch.randn([b, h, T, d], ScalarType.Float32, g).requires_grad_();
                var v = torch.randn([b, h, T, d], ScalarType.Float32, g).requires_grad_();
                return () =>
                {
                    q.grad = k.grad = v.grad = null;
                    F.scaled_dot_product_attention(q, k, v, is_causal: true).sum().backward();
                };
            }, fb);
        }
    }
}
