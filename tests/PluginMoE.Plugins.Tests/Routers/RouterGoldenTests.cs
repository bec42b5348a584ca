// Every router inside a whole MoE block (router + SwiGLU experts, shared expert for Nexus) against PyTorch 1.13
// golden values (tools/golden/routers.py, float64): outputs, expert ids, gates, auxiliary losses, every gradient.
using System.Text.Json;
using System.Text.Json.Nodes;
using PluginMoE.Abstractions.Routing;
using PluginMoE.Tensors;
using static PluginMoE.Tensors.torch;

namespace PluginMoE.Plugins.Tests.Routers;

public class RouterGoldenTests
{
    private static readonly JsonElement Golden =
        JsonDocument.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Fixtures", "golden", "routers.json"))).RootElement;

    private static double[] Doubles(JsonElement e) => [.. e.EnumerateArray().Select(v => v.GetDouble())];

    private static Tensor Tensor(JsonElement e) =>
        tensor(Doubles(e.GetProperty("data")), [.. e.GetProperty("shape").EnumerateArray().Select(s => s.GetInt64())]);

    private static JsonArray Rows(Tensor t)
    {
        var rows = new JsonArray();
        for (long i = 0; i < t.size(0); i++) rows.Add(new JsonArray([.. t[i].data<double>().Select(v => (JsonNode)JsonValue.Create(v)!)]));
        return rows;
    }

    /// <summary>The router's plugin options for one fixture case (the fixture's domain embeddings go inline).</summary>
    private static JsonObject Options(string router, JsonElement c, JsonElement state, string prefix, int r)
    {
        var normalize = c.GetProperty("normalize").GetString()!;
        return router switch
        {
            "linear" => normalize == "all"
                ? new JsonObject { ["Variant"] = "soft" }
                : c.GetProperty("k").GetInt32() == 1
                    ? new JsonObject { ["Variant"] = "switch" }
                    : new JsonObject { ["Normalize"] = normalize },
            "nexus" => new JsonObject
            {
                ["HiddenSize"] = Golden.GetProperty("dims").GetProperty("hyper").GetInt32(),
                ["DomainEmbeddings"] = Rows(Tensor(state.GetProperty(prefix + "domain_embeddings"))),
            },
            _ => new JsonObject { ["RoutingDim"] = r, ["Form"] = c.GetProperty("form").GetString(), ["Normalize"] = normalize },
        };
    }

    [Theory]
    [InlineData("linear-topk-softmax")]
    [InlineData("linear-softmax-topk")]
    [InlineData("linear-softmax-topk-renormalise")]
    [InlineData("linear-switch")]
    [InlineData("linear-soft")]
    [InlineData("nexus-top1")]
    [InlineData("nexus-top2")]
    [InlineData("xmoe-paper")]
    [InlineData("xmoe-code")]
    [InlineData("multi-head-xmoe")]
    [InlineData("multi-head-linear")]
    [InlineData("multi-head-nexus")]
    public void ForwardAndGradients_OfTheWholeMoeBlock_MatchPyTorch(string name)
    {
        var dims = Golden.GetProperty("dims");
        int d = dims.GetProperty("d").GetInt32(), tokens = dims.GetProperty("tokens").GetInt32(), heads = dims.GetProperty("heads").GetInt32();
        var g = Golden.GetProperty("cases").GetProperty(name);
        var c = g.GetProperty("config");
        var state = g.GetProperty("state");
        string router = c.GetProperty("router").GetString()!;
        bool multiHead = c.GetProperty("heads").GetInt32() > 0;
        var options = Options(router, c, state, multiHead ? "gate.inner." : "gate.", dims.GetProperty("r").GetInt32());
        if (multiHead) options = new JsonObject { ["Heads"] = heads, ["Inner"] = router, ["InnerOptions"] = options };
        var config = RouterKit.Config(d, dims.GetProperty("experts").GetInt32(), c.GetProperty("k").GetInt32(), multiHead ? "multi-head" : router, options,
            hidden: dims.GetProperty("hidden").GetInt32(), shared: c.TryGetProperty("shared", out _) ? dims.GetProperty("shared").GetInt32() : null,
            alpha: dims.GetProperty("alpha").GetDouble(), beta: dims.GetProperty("beta").GetDouble());
        var layer = RouterKit.Layer(config);
        layer.load_state_dict(state.EnumerateObject().Where(p => !p.Name.EndsWith("domain_embeddings", StringComparison.Ordinal))
            .ToDictionary(p => p.Name, p => Tensor(p.Value)));
        var x = tensor(Doubles(g.GetProperty("x")), [tokens, d], requires_grad: true);
        var w = tensor(Doubles(g.GetProperty("w_out")), [tokens, d]);

        var o = layer.forward(x);
        ((o.Output * w).sum() + o.AuxLoss).backward();

        RouterKit.Close(Doubles(g.GetProperty("output")), o.Output.data<double>(), 1e-10, "output");
        Assert.Equal(g.GetProperty("indices").EnumerateArray().Select(v => v.GetInt64()), o.ExpertIndices.data<long>());
        RouterKit.Close([g.GetProperty("aux_loss").GetDouble()], [o.AuxLoss.ToDouble()], 1e-13, "aux loss");
        RouterKit.Close(Doubles(g.GetProperty("grad_x")), x.grad!.data<double>(), 1e-10, "grad x");
        var grads = layer.named_parameters().ToDictionary(p => p.name, p => p.parameter.grad);
        foreach (var p in g.GetProperty("grads").EnumerateObject())
        {
            Assert.True(grads.TryGetValue(p.Name, out var grad) && grad is not null, $"no gradient for {p.Name}");
            RouterKit.Close(Doubles(p.Value), grad!.data<double>(), 1e-10, "grad " + p.Name);
        }

        // The router alone gives the fixture's gates and probabilities.
        using (no_grad())
        {
            var units = layer.Router is ITokenSplittingRouter s ? s.Split(x) : x;
            var r = layer.Router.Route(units, RoutingContext.Evaluation);
            RouterKit.Close(Doubles(g.GetProperty("gates")), r.Weights.data<double>(), 1e-12, "gates");
            RouterKit.Close(Doubles(g.GetProperty("probabilities")), r.Probabilities!.data<double>(), 1e-12, "probabilities");
        }
    }
}
