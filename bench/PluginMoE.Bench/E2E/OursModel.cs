// The suite's models in PluginMoE: TransformerLM built from the project's router and expert plugins, trained as the
// trainer runs a step (dispose scope, AdamW), prefilled and decoded with the KV cache in the inference form.
using System.Text.Json.Nodes;
using PluginMoE.Abstractions.Checkpoints;
using PluginMoE.Core.Composition;
using PluginMoE.Core.Inference;
using PluginMoE.Core.Model;
using PluginMoE.Plugins.Experts;
using PluginMoE.Plugins.Routers;
using PluginMoE.Tensors;
using F = PluginMoE.Tensors.torch.nn.functional;

namespace PluginMoE.Bench.E2E;

/// <summary>A suite model in PluginMoE (see <see cref="E2eConfig.Routers"/> for what each router builds).</summary>
internal sealed class OursModel : IE2eModel
{
    private TransformerLM _model;
    private readonly torch.optim.AdamW _opt;
    private readonly Tensor _x, _y, _prompt, _next;

    public OursModel(E2eConfig c, string router)
    {
        var g = new Generator(1);
        var catalog = new ComponentCatalog()
            .AddRouter(LinearRouterFactory.Name, new LinearRouterFactory())
            .AddRouter(NexusRouterFactory.Name, new NexusRouterFactory())
            .AddRouter(XMoeRouterFactory.Name, new XMoeRouterFactory())
            .AddRouter(MultiHeadRouterFactory.Name, new MultiHeadRouterFactory())
            .AddExpert("swiglu", new SwiGluExpertFactory());
        var moe = router switch
        {
            "linear" => new MoeConfig { NumExperts = c.Experts, TopK = E2eConfig.TopK, Router = "linear" },
            E2eConfig.LinearShared => new MoeConfig
            {
                NumExperts = c.Experts, TopK = E2eConfig.TopK, Router = "linear", SharedExpertIntermediateSize = 4 * c.D,
            },
            "nexus" => new MoeConfig
            {
                NumExperts = c.Experts, TopK = E2eConfig.TopK, Router = "nexus", SharedExpertIntermediateSize = 4 * c.D,
                RouterOptions = new JsonObject { ["DomainEmbeddings"] = DomainEmbeddings(c.Experts) },
            },
            "multi-head" => new MoeConfig
            {
                NumExperts = c.Experts, TopK = E2eConfig.TopK, Router = "multi-head",
                RouterOptions = new JsonObject { ["Heads"] = E2eConfig.MhHeads, ["Inner"] = "xmoe" },
            },
            _ => throw new ArgumentException($"unknown router '{router}'; routers: {string.Join(", ", E2eConfig.Routers)}, {E2eConfig.LinearShared} (PluginMoE only)"),
        };
        var config = new ModelConfig
        {
            HiddenSize = c.D, IntermediateSize = 4 * c.D, NumHiddenLayers = c.Layers, NumAttentionHeads = c.Heads, NumKeyValueHeads = c.Heads,
            MaxPositionEmbeddings = c.T, Moe = moe,
        };
        _model = new TransformerLM(config, catalog, g);
        // A/B knob for measuring the shared-expert combine: 1 adds the shared expert after the routed sum (the old path).
        if (Environment.GetEnvironmentVariable(SharedAfterVariable) == "1")
            foreach (var (_, block) in _model.MoeLayers) block.SharedExpertInCombine = false;
        // 1 runs the shared expert through its own forward instead of inside the routed experts' grouped GEMMs.
        if (Environment.GetEnvironmentVariable(SharedUngroupedVariable) == "1")
            foreach (var (_, block) in _model.MoeLayers) block.SharedExpertGrouped = false;
        _opt = new torch.optim.AdamW(_model.parameters(), lr: 1e-3);
        var data = torch.randint(0, 256, [c.B, c.T + 1], generator: g);
        _x = data.narrow(1, 0, c.T);
        _y = data.narrow(1, 1, c.T).contiguous().reshape(-1);
        _prompt = _x.narrow(0, 0, 1).narrow(1, 0, E2eConfig.Prompt).contiguous();
        _next = _x.narrow(0, 0, 1).narrow(1, E2eConfig.Prompt, E2eConfig.Decode).contiguous();
    }

    /// <summary>Environment variable that, set to 1, adds the shared expert after the routed combine (MoeLayer.SharedExpertInCombine false).</summary>
    public const string SharedAfterVariable = "PLUGINMOE_BENCH_SHARED_AFTER";

    /// <summary>Environment variable that, set to 1, runs the shared expert through its own forward (MoeLayer.SharedExpertGrouped false).</summary>
    public const string SharedUngroupedVariable = "PLUGINMOE_BENCH_SHARED_UNGROUPED";

    public bool ReportsAllocations => true;

    /// <summary>(n, m) normal(0, 1) domain embeddings as the inline option (seed 7).</summary>
    private static JsonArray DomainEmbeddings(int n)
    {
        var e = torch.randn([n, E2eConfig.DomainDim], ScalarType.Float32, new Generator(7)).data<float>();
        var rows = new JsonArray();
        for (int i = 0; i < n; i++)
            rows.Add(new JsonArray([.. e.Skip(i * E2eConfig.DomainDim).Take(E2eConfig.DomainDim).Select(v => (JsonNode)JsonValue.Create(v))]));
        return rows;
    }

    public void TrainStep()
    {
        using var scope = torch.NewDisposeScope();
        _opt.zero_grad();
        var output = _model.forward(_x);
        var loss = F.cross_entropy(output.Logits.reshape(-1, 256), _y) + output.AuxLoss;
        loss.backward();
        _opt.step();
    }

    public void EnterInference() => _model = _model.ToInference();

    public void Prefill()
    {
        using var scope = torch.NewDisposeScope();
        using var noGrad = torch.no_grad();
        _model.forward(_x);
    }

    public void DecodeCall()
    {
        using var noGrad = torch.no_grad();
        KvCache cache = _model.CreateKvCache(1, E2eConfig.Prompt + E2eConfig.Decode);
        using (torch.NewDisposeScope()) _model.forward(_prompt, cache);
        for (int i = 0; i < E2eConfig.Decode; i++)
        {
            using var scope = torch.NewDisposeScope();
            _model.forward(_next.narrow(1, i, 1), cache);
        }
    }
}
