// GEMM cases: the square and MLP-like shapes the targets are stated for, transposed operands (as in linear
// layers and their gradients), odd sizes, small and batched products, float64, and the products of the tiny and
// small models' SwiGLU expert MLPs (forward NT, input gradient NN, weight gradient TN) over all tokens and over one
// expert's rows after top-2 dispatch. Every call runs in a dispose scope, as the trainer runs its products: the
// result goes back to the caching allocator at the end of the call, as PyTorch's goes back to its allocator when the
// Python reference drops (outside a scope each call allocated a fresh 2-8 MB array and paid its page faults and GC).
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
        foreach (var c in ModelShapes("tiny", tokens: 1024, d: 128, inner: 512, experts: 4)) yield return c;
        foreach (var c in ModelShapes("small", tokens: 2048, d: 256, inner: 1024, experts: 8)) yield return c;
    }

    /// <summary>
    /// The six products of one expert MLP layer pair (up d -> inner, down inner -> d) in training, for all tokens
    /// ("rows":"all") and for one expert's share after top-2 dispatch ("rows":"expert", tokens * 2 / experts rows):
    /// forward x @ W^T (NT), input gradient dy @ W (NN), weight gradient dy^T @ x (TN).
    /// </summary>
    private static IEnumerable<BenchCase> ModelShapes(string model, long tokens, long d, long inner, long experts) =>
        ModelProducts(model, tokens, d, inner, experts).Select(p => Tagged(Gemm(p.M, p.K, p.N, p.Layout), model, p.Rows, p.Role));

    /// <summary>One product of <see cref="ModelShapes"/>: sizes, layout, row scope and role.</summary>
    internal readonly record struct ModelProduct(string Model, string Rows, string Role, long M, long K, long N, string Layout);

    /// <summary>The tiny and small models' expert-MLP products (the model shapes of the GEMM cases).</summary>
    internal static IEnumerable<ModelProduct> ModelProducts() =>
        ModelProducts("tiny", tokens: 1024, d: 128, inner: 512, experts: 4).Concat(ModelProducts("small", tokens: 2048, d: 256, inner: 1024, experts: 8));

    private static IEnumerable<ModelProduct> ModelProducts(string model, long tokens, long d, long inner, long experts)
    {
        foreach (var (rows, scope) in new[] { (tokens, "all"), (tokens * 2 / experts, "expert") })
        {
            yield return new(model, scope, "up_fwd", rows, d, inner, "nt");
            yield return new(model, scope, "down_fwd", rows, inner, d, "nt");
            yield return new(model, scope, "up_dx", rows, inner, d, "nn");
            yield return new(model, scope, "down_dx", rows, d, inner, "nn");
            yield return new(model, scope, "up_dw", inner, rows, d, "tn");
            yield return new(model, scope, "down_dw", d, rows, inner, "tn");
        }
    }

    /// <summary>The operands of a float32 product with the given layout (as the GEMM cases build them).</summary>
    internal static (Tensor A, Tensor B) Operands(long m, long k, long n, string layout, ScalarType dtype = ScalarType.Float32)
    {
        var g = new Generator(1);
        var a = layout == "tn" ? torch.randn([k, m], dtype, g).t() : torch.randn([m, k], dtype, g);
        var b = layout == "nt" ? torch.randn([n, k], dtype, g).t() : torch.randn([k, n], dtype, g);
        return (a, b);
    }

    private static BenchCase Tagged(BenchCase c, string model, string rows, string role) =>
        c with { Tags = new Dictionary<string, string>(c.Tags) { ["model"] = model, ["rows"] = rows, ["role"] = role } };

    private static BenchCase Gemm(long m, long k, long n, string layout = "nn", ScalarType dtype = ScalarType.Float32)
    {
        return new BenchCase("gemm", [m, k, n], "gflops", 2.0 * m * k * n, () =>
        {
            var (a, b) = Operands(m, k, n, layout, dtype);
            return () =>
            {
                using var scope = torch.NewDisposeScope();
                torch.matmul(a, b);
            };
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
            return () =>
            {
                using var scope = torch.NewDisposeScope();
                torch.matmul(a, b);
            };
        }, new Dictionary<string, string> { ["layout"] = "nn", ["dtype"] = "float32" });
    }
}
