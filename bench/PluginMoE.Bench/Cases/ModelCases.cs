// Whole-model cases: one training step (forward, backward, AdamW) of a small dense and a small MoE
// LM at quickstart scale; work = tokens per step, so the rate is training tokens/s.
using PluginMoE.Abstractions.Checkpoints;
using PluginMoE.Core.Composition;
using PluginMoE.Core.Model;
using PluginMoE.Plugins.Experts;
using PluginMoE.Plugins.Routers;
using PluginMoE.Tensors;
using F = PluginMoE.Tensors.torch.nn.functional;

namespace PluginMoE.Bench.Cases;

internal static class ModelCases
{
    public static IEnumerable<BenchCase> Create()
    {
        const int batch = 16, seq = 128;
        foreach (var moe in new[] { false, true })
        {
            var tags = new Dictionary<string, string> { ["model"] = moe ? "moe-4x2" : "dense", ["pass"] = "train-step" };
            yield return new BenchCase("lm_train_step", [batch, seq, 64, 2], "elems", batch * seq, () =>
            {
                var config = new ModelConfig
                {
                    HiddenSize = 64, IntermediateSize = 176, NumHiddenLayers = 2, NumAttentionHeads = 4, NumKeyValueHeads = 4,
                    MaxPositionEmbeddings = seq, Moe = moe ? new MoeConfig { NumExperts = 4, TopK = 2 } : null,
                };
                var catalog = new ComponentCatalog().AddRouter("linear", new LinearRouterFactory()).AddExpert("swiglu", new SwiGluExpertFactory());
                var g = new Generator(1);
                var model = new TransformerLM(config, catalog, g);
                var opt = new torch.optim.AdamW(model.parameters(), lr: 1e-3);
                var data = torch.randint(0, 256, [batch, seq + 1], generator: g);
                var x = data.narrow(1, 0, seq);
                var y = data.narrow(1, 1, seq).contiguous().reshape(-1);
                return () =>
                {
                    using var scope = torch.NewDisposeScope();
                    opt.zero_grad();
                    var output = model.forward(x);
                    var loss = F.cross_entropy(output.Logits.reshape(-1, 256), y) + output.AuxLoss;
                    loss.backward();
                    opt.step();
                };
            }, tags);
        }
        // The two MoE configurations of the speed issue (linear router, top-2, SwiGLU experts with hidden 4 x d, byte
        // vocabulary): a training step (forward, backward, AdamW) in a dispose scope as the trainer runs it, a prefill
        // (forward of the whole batch without gradients) and KV-cache decoding (one sequence, 32 tokens one at a time
        // after a 32-token prompt). tools/bench/torch_reference.py builds the same models in PyTorch.
        foreach (var (name, d, layers, heads, experts, T, B) in new[] { ("tiny", 128, 2, 4, 4, 128, 8), ("small", 256, 4, 8, 8, 256, 8) })
        {
            yield return new BenchCase("lm_train_step", [B, T, d, layers], "elems", B * T, () =>
            {
                var (model, x, y) = Build(d, layers, heads, experts, T, B);
                var opt = new torch.optim.AdamW(model.parameters(), lr: 1e-3);
                return () =>
                {
                    using var scope = torch.NewDisposeScope();
                    opt.zero_grad();
                    var output = model.forward(x);
                    var loss = F.cross_entropy(output.Logits.reshape(-1, 256), y) + output.AuxLoss;
                    loss.backward();
                    opt.step();
                };
            }, Tags(name, "train-step"));
            yield return new BenchCase("lm_prefill", [B, T, d, layers], "elems", B * T, () =>
            {
                var (model, x, _) = Build(d, layers, heads, experts, T, B);
                model.eval();
                return () =>
                {
                    using var scope = torch.NewDisposeScope();
                    using var noGrad = torch.no_grad();
                    model.forward(x);
                };
            }, Tags(name, "prefill"));
            const int prompt = 32, decode = 32;
            yield return new BenchCase("lm_decode", [1, prompt + decode, d, layers], "elems", decode, () =>
            {
                var (model, x, _) = Build(d, layers, heads, experts, T, B);
                model.eval();
                var promptIds = x.narrow(0, 0, 1).narrow(1, 0, prompt).contiguous();
                var next = x.narrow(0, 0, 1).narrow(1, prompt, decode).contiguous();
                return () =>
                {
                    using var noGrad = torch.no_grad();
                    var cache = model.CreateKvCache(1, prompt + decode);
                    using (torch.NewDisposeScope()) model.forward(promptIds, cache);
                    for (int i = 0; i < decode; i++)
                    {
                        using var scope = torch.NewDisposeScope();
                        model.forward(next.narrow(1, i, 1), cache);
                    }
                };
            }, Tags(name, "decode"));
        }
        // The same training step with the nexus router (and its shared expert) and with the linear router plus the same
        // shared expert, built as the end-to-end suite builds them (E2E/OursModel); each prints its time over linear's.
        foreach (var c in E2E.E2eConfig.All)
        {
            foreach (var router in new[] { "nexus", E2E.E2eConfig.LinearShared })
            {
                var tags = Tags(c.Name, "train-step");
                tags["router"] = router;
                tags["baseline"] = "linear";
                yield return new BenchCase("lm_train_step", [c.B, c.T, c.D, c.Layers], "elems", c.Tokens, () =>
                {
                    var model = new E2E.OursModel(c, router);
                    return model.TrainStep;
                }, tags);
            }
        }
    }

    private static Dictionary<string, string> Tags(string model, string pass) =>
        new() { ["model"] = model, ["router"] = "linear", ["pass"] = pass };

    private static (TransformerLM Model, Tensor X, Tensor Y) Build(int d, int layers, int heads, int experts, int T, int B)
    {
        var config = new ModelConfig
        {
            HiddenSize = d, IntermediateSize = 4 * d, NumHiddenLayers = layers, NumAttentionHeads = heads, NumKeyValueHeads = heads,
            MaxPositionEmbeddings = T, Moe = new MoeConfig { NumExperts = experts, TopK = 2 },
        };
        var catalog = new ComponentCatalog().AddRouter("linear", new LinearRouterFactory()).AddExpert("swiglu", new SwiGluExpertFactory());
        var g = new Generator(1);
        var model = new TransformerLM(config, catalog, g);
        var data = torch.randint(0, 256, [B, T + 1], generator: g);
        return (model, data.narrow(1, 0, T), data.narrow(1, 1, T).contiguous().reshape(-1));
    }
}
