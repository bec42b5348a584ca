// Shared helpers of the router tests: a catalog with every first-party router and the SwiGLU expert, MoE configs,
// float64 closeness and finite-difference gradient checks through a whole MoE layer.
using System.Text.Json.Nodes;
using PluginMoE.Abstractions.Checkpoints;
using PluginMoE.Core.Composition;
using PluginMoE.Core.Moe;
using PluginMoE.Plugins.Experts;
using PluginMoE.Plugins.Routers;
using PluginMoE.Tensors;
using static PluginMoE.Tensors.torch;

namespace PluginMoE.Plugins.Tests.Routers;

internal static class RouterKit
{
    public static ComponentCatalog Catalog() => new ComponentCatalog()
        .AddRouter(LinearRouterFactory.Name, new LinearRouterFactory())
        .AddRouter(NexusRouterFactory.Name, new NexusRouterFactory())
        .AddRouter(XMoeRouterFactory.Name, new XMoeRouterFactory())
        .AddRouter(MultiHeadRouterFactory.Name, new MultiHeadRouterFactory())
        .AddExpert("swiglu", new SwiGluExpertFactory());

    /// <summary>An MoE block config: width d, n experts of inner width hidden, top-k, the router and its options.</summary>
    public static ModelConfig Config(int d, int n, int k, string router, JsonObject? options, int hidden = 5, int? shared = null,
        double alpha = 0.01, double beta = 0.001) => new()
    {
        HiddenSize = d,
        IntermediateSize = hidden,
        Moe = new MoeConfig
        {
            NumExperts = n,
            TopK = k,
            Router = router,
            RouterOptions = options,
            SharedExpertIntermediateSize = shared,
            LoadBalanceWeight = alpha,
            RouterZLossWeight = beta,
        },
    };

    public static MoeLayer Layer(ModelConfig config, long seed = 1) => new(config, Catalog(), new Generator(seed), ScalarType.Float64);

    /// <summary>Inline domain embeddings (n, m) as the nexus option value.</summary>
    public static JsonArray Embeddings(int n, int m, long seed)
    {
        var e = randn([n, m], ScalarType.Float64, new Generator(seed)).data<double>();
        var rows = new JsonArray();
        for (int i = 0; i < n; i++) rows.Add(new JsonArray([.. e.Skip(i * m).Take(m).Select(v => (JsonNode)JsonValue.Create(v)!)]));
        return rows;
    }

    public static void Close(double[] expected, double[] actual, double tol, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(expected[i] - actual[i]) <= tol, $"{what}[{i}]: expected {expected[i]}, got {actual[i]}");
    }

    /// <summary>
    /// Asserts that autograd gradients of <paramref name="loss"/> match central differences (float64) for every element
    /// of every tensor in <paramref name="inputs"/>, or of <paramref name="maxPerTensor"/> evenly spaced elements of larger ones.
    /// </summary>
    public static void GradCheck(Func<Tensor> loss, IReadOnlyList<(string Name, Tensor Tensor)> inputs, double eps = 1e-6, double atol = 1e-6, double rtol = 1e-4,
        int maxPerTensor = 24)
    {
        foreach (var (_, t) in inputs) t.grad = null;
        loss().backward();
        var analytic = inputs.Select(x => x.Tensor.grad?.data<double>() ?? new double[x.Tensor.numel()]).ToList();
        for (int k = 0; k < inputs.Count; k++)
        {
            var (name, x) = inputs[k];
            Assert.Equal(ScalarType.Float64, x.dtype);
            var flat = x.detach().view(-1);
            long stride = Math.Max(1, (x.numel() + maxPerTensor - 1) / maxPerTensor);
            for (long i = 0; i < x.numel(); i += stride)
            {
                var element = flat[i];
                double orig = element.ToDouble(), plus, minus;
                using (no_grad())
                {
                    element.fill_(orig + eps);
                    plus = loss().ToDouble();
                    element.fill_(orig - eps);
                    minus = loss().ToDouble();
                    element.fill_(orig);
                }
                double numeric = (plus - minus) / (2 * eps), a = analytic[k][i];
                Assert.True(Math.Abs(a - numeric) <= atol + rtol * Math.Abs(numeric),
                    $"gradient of {name}[{i}]: autograd {a}, finite differences {numeric}");
            }
        }
    }
}
