// GEMM cases: the square and MLP-like shapes the targets are stated for, transposed operands (as in linear
// layers and their gradients), odd sizes, small and batched products, and float64.
using PluginMoE.Tensors;

namespace PluginMoE.Bench.Cases;

internal static class GemmCases
{
    /// <summary>layout: "nn" = A (M,K) @ B (K,N); "tn" = A stored (K,M) and transposed; "nt" = B stored (N,K), as in linear.</summary>
    public static IEnumerable<BenchCase> Create()
    {
        yield return Gemm(1024, 256, 1024);
        yield return Gemm(1024, 1024, 1024);
        yield return Gemm(1024, 1024, 1024, "nt");
        yield return Gemm(1024, 1024, 1024, "tn");
        yield return Gemm(1000, 333, 777);
        yield return Gemm(4096, 512, 2048, "nt");
        yield return Gemm(256, 4096, 256, "tn");
        yield return Gemm(64, 64, 64);
        yield return Gemm(1, 4096, 4096, "nt");
        yield return Gemm(512, 512, 512, dtype: ScalarType.Float64);
        yield return Batched(16, 256, 64, 256);
    }

    private static BenchCase Gemm(long m, long k, long n, string layout = "nn", ScalarType dtype = ScalarType.Float32)
    {
        return new BenchCase("gemm", [m, k, n], "gflops", 2.0 * m * k * n, () =>
        {
            var g = new Generator(1);
            var a = layout == "tn" ? torch.randn([k, m], dtype, g).t() : torch.randn([m, k], dtype, g);
            var b = layout == "nt" ? torch.randn([n, k], dtype, g).t() : torch.randn([k, n], dtype, g);
            return () => torch.matmul(a, b);
        }, new Dictionary<string, string> { ["layout"] = layout, ["dtype"] = dtype == ScalarType.Float32 ? "float32" : "float64" });
    }

    /// <summary>Attention-like (B, T, D) @ (B, D, S); shape is [B, M, K, N].</summary>
    private static BenchCase Batched(long batch, long m, long k, long n)
    {
        return new BenchCase("bmm", [batch, m, k, n], "gflops", 2.0 * batch * m * k * n, () =>
        {
            var g = new Generator(1);
            var a = torch.randn([batch, m, k], ScalarType.Float32, g);
            var b = torch.randn([batch, k, n], ScalarType.Float32, g);
            return () => torch.matmul(a, b);
        }, new Dictionary<string, string> { ["layout"] = "nn", ["dtype"] = "float32" });
    }
}
