// End-to-end checks of the whole LM: float64 gradients of a tiny MoE LM (attention, RoPE, router, experts,
// tied head) against finite differences, and a few AdamW steps that fit a short repeated text.
using System.Text;
using PluginMoE.Abstractions.Checkpoints;
using PluginMoE.Core.Model;
using PluginMoE.Tensors;
using static PluginMoE.Tensors.torch;

namespace PluginMoE.Core.Tests.Model;

public class TransformerLMTrainingTests
{
    [Fact]
    public void Backward_TinyMoeLM_MatchesFiniteDifferences()
    {
        var config = new ModelConfig
        {
            VocabSize = 7, HiddenSize = 4, IntermediateSize = 3, NumHiddenLayers = 2, NumAttentionHeads = 2, NumKeyValueHeads = 1,
            MaxPositionEmbeddings = 8, TieWordEmbeddings = true,
            Moe = new MoeConfig { NumExperts = 3, TopK = 2, MoeLayers = [1], SharedExpertIntermediateSize = 2, LoadBalanceWeight = 0.3, RouterZLossWeight = 0.05 },
        };
        var model = new TransformerLM(config, TestCatalog.Create(), new Generator(5), ScalarType.Float64);
        using (no_grad())
            foreach (var (_, p) in model.named_parameters())
                if (p.dim() == 2) p.copy_(p * 25); // larger weights: a stronger signal than init's std 0.02, and no near-ties in top-k
        var ids = tensor(new long[] { 1, 4, 2, 6, 0, 3, 5, 1 }, [2, 4]);
        var targets = tensor(new long[] { 4, 2, 6, 0, 3, 5, 1, 2 });
        Tensor Loss()
        {
            var o = model.forward(ids);
            return nn.functional.cross_entropy(o.Logits.reshape(8, 7), targets) + o.AuxLoss;
        }
        GradCheck.Check(Loss, [.. model.named_parameters().Select(p => (p.name, (Tensor)p.parameter))]);
    }

    [Fact]
    public void AdamW_FewStepsOnRepeatedText_LowersTheLossClearly()
    {
        var config = new ModelConfig
        {
            HiddenSize = 32, IntermediateSize = 48, NumHiddenLayers = 2, NumAttentionHeads = 4, NumKeyValueHeads = 2, MaxPositionEmbeddings = 32,
            Moe = new MoeConfig { NumExperts = 4, TopK = 2, MoeLayers = [1] },
        };
        var model = new TransformerLM(config, TestCatalog.Create(), new Generator(1));
        var bytes = Encoding.UTF8.GetBytes("the quick brown fox jumps over the lazy dog. ");
        var data = Enumerable.Range(0, 4 * 17).Select(i => (long)bytes[i % bytes.Length]).ToArray();
        var x = tensor(data, [4, 17]).narrow(1, 0, 16);
        var y = tensor(data, [4, 17]).narrow(1, 1, 16).reshape(-1);
        var optimizer = new optim.AdamW(model.parameters(), lr: 1e-2, weight_decay: 0);
        double first = 0, last = 0;
        for (int step = 0; step < 30; step++)
        {
            optimizer.zero_grad();
            var o = model.forward(x);
            var lm = nn.functional.cross_entropy(o.Logits.reshape(-1, 256), y);
            (lm + o.AuxLoss).backward();
            optimizer.step();
            if (step == 0) first = lm.ToDouble();
            last = lm.ToDouble();
        }
        Assert.True(last < 0.5 * first, $"loss went from {first} to {last}");
    }
}
