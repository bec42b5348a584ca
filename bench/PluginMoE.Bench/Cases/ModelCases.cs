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
                    opt.zero_grad();
                    var output = model.forward(x);
                    var loss = F.cross_entropy(output.Logits.reshape(-1, 256), y) + output.AuxLoss;
                    loss.backward();
                    opt.step();
                };
            }, tags);
        }
    }
}
