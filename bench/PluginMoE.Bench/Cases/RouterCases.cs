// One MoE layer forward+backward per router at d=256, 8 SwiGLU experts (inner 512), top-2, 4096 tokens (work = tokens,
// so the rate is tokens/s): linear, nexus in its training form (E recomputed from the hypernetwork every call) and in
// its frozen inference form (a linear router whose weight is E), and multi-head(xmoe) with h=4 (experts of width 64,
// inner 512: the same expert FLOPs per token); then linear and nexus-train both with a shared expert (inner 512), the
// like-for-like pair of the Nexus recipe's layer (no PyTorch reference for these two). Cases tagged "baseline" also print
// their time over the baseline's (nexus-train+shared over linear+shared, the others over linear).
using System.Text.Json.Nodes;
using PluginMoE.Abstractions.Checkpoints;
using PluginMoE.Abstractions.Routing;
using PluginMoE.Core.Composition;
using PluginMoE.Core.Moe;
using PluginMoE.Plugins.Experts;
using PluginMoE.Plugins.Routers;
using PluginMoE.Tensors;

namespace PluginMoE.Bench.Cases;

internal static class RouterCases
{
    public const int Tokens = 4096, Width = 256, Experts = 8, TopK = 2, Inner = 512, DomainDim = 64, Heads = 4;

    /// <summary>The linear and nexus-train layers with a shared expert of inner <see cref="Inner"/> on both (PluginMoE only).</summary>
    public const string LinearShared = "linear+shared", NexusShared = "nexus-train+shared";

    public static IEnumerable<BenchCase> Create()
    {
        foreach (var router in new[] { "linear", "nexus-train", "nexus-frozen", "multi-head-xmoe", LinearShared, NexusShared })
        {
            var tags = new Dictionary<string, string> { ["router"] = router, ["pass"] = "fwd+bwd", ["dtype"] = "float32" };
            if (router is not ("linear" or LinearShared)) tags["baseline"] = router == NexusShared ? LinearShared : "linear";
            yield return new BenchCase("moe_layer", [Tokens, Width, Experts, TopK], "elems", Tokens, () => Setup(router), tags);
        }
    }

    private static ComponentCatalog Catalog() => new ComponentCatalog()
        .AddRouter(LinearRouterFactory.Name, new LinearRouterFactory())
        .AddRouter(NexusRouterFactory.Name, new NexusRouterFactory())
        .AddRouter(XMoeRouterFactory.Name, new XMoeRouterFactory())
        .AddRouter(MultiHeadRouterFactory.Name, new MultiHeadRouterFactory())
        .AddExpert("swiglu", new SwiGluExpertFactory());

    private static ModelConfig Config(string router, JsonObject? options, bool shared = false) => new()
    {
        HiddenSize = Width,
        IntermediateSize = Inner,
        Moe = new MoeConfig { NumExperts = Experts, TopK = TopK, Router = router, RouterOptions = options, SharedExpertIntermediateSize = shared ? Inner : null },
    };

    /// <summary>The (n, m) domain embeddings of the bench's nexus layer, as an inline option.</summary>
    private static JsonArray Domains()
    {
        var e = torch.randn([Experts, DomainDim], ScalarType.Float32, new Generator(7)).data<float>();
        var rows = new JsonArray();
        for (int i = 0; i < Experts; i++) rows.Add(new JsonArray([.. e.Skip(i * DomainDim).Take(DomainDim).Select(v => (JsonNode)JsonValue.Create(v))]));
        return rows;
    }

    internal static MoeLayer Layer(string router)
    {
        var g = new Generator(1);
        switch (router)
        {
            case "linear":
                return new MoeLayer(Config("linear", null), Catalog(), g);
            case "nexus-train":
                return new MoeLayer(Config("nexus", new JsonObject { ["DomainEmbeddings"] = Domains() }), Catalog(), g);
            case LinearShared:
                return new MoeLayer(Config("linear", null, shared: true), Catalog(), g);
            case NexusShared:
                return new MoeLayer(Config("nexus", new JsonObject { ["DomainEmbeddings"] = Domains() }, shared: true), Catalog(), g);
            case "nexus-frozen":
            {
                // The inference form as the host swaps it in: a linear-router MoE (the form's plugin and options) with weight E.
                var nexus = new MoeLayer(Config("nexus", new JsonObject { ["DomainEmbeddings"] = Domains() }), Catalog(), g);
                var form = nexus.Router.ToInference();
                var frozen = new MoeLayer(Config(form.Plugin!, form.Options), Catalog(), new Generator(2));
                frozen.load_state_dict(nexus.state_dict().Where(kv => !kv.Key.StartsWith("gate.", StringComparison.Ordinal))
                    .Concat(form.Router.state_dict().Select(kv => KeyValuePair.Create("gate." + kv.Key, kv.Value)))
                    .ToDictionary(kv => kv.Key, kv => kv.Value));
                return frozen;
            }
            default:
                return new MoeLayer(Config("multi-head", new JsonObject { ["Heads"] = Heads, ["Inner"] = "xmoe" }), Catalog(), g);
        }
    }

    private static Action Setup(string router)
    {
        var layer = Layer(router);
        var g = new Generator(3);
        var x = torch.randn([Tokens, Width], ScalarType.Float32, g).requires_grad_();
        var w = torch.randn([Tokens, Width], ScalarType.Float32, g);
        var context = new RoutingContext { Training = true, Generator = new Generator(4) };
        var parameters = layer.parameters().ToList();
        return () =>
        {
            foreach (var p in parameters) p.grad = null;
            x.grad = null;
            var o = layer.forward(x, context);
            ((o.Output * w).sum() + o.AuxLoss).backward();
        };
    }
}
