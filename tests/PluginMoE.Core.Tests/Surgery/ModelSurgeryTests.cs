// Model surgery: TransformerLM.ToInference swaps routers for their inference form and rewrites the config (outputs
// bitwise equal, the checkpoint reloads as the new plugin); ModelExtension.Extend appends a domain expert.
using PluginMoE.Abstractions.Checkpoints;
using PluginMoE.Abstractions.Merging;
using PluginMoE.Core.Composition;
using PluginMoE.Core.Model;
using PluginMoE.Core.Tests.Model;
using PluginMoE.Plugins.Routers;
using PluginMoE.Tensors;
using static PluginMoE.Tensors.torch;

namespace PluginMoE.Core.Tests.Surgery;

public class ModelSurgeryTests
{
    private static readonly ModelConfig Moe = TransformerLMTests.Tiny with
    {
        NumHiddenLayers = 3,
        Moe = new MoeConfig { NumExperts = 3, TopK = 2, MoeLayers = [0, 2], Router = "doubled", Domains = ["a", "b", "c"] },
    };

    private static ComponentCatalog Catalog() => TestCatalog.Create().AddRouter("doubled", new DoubledRouterFactory());

    private static Tensor Ids => randint(0, 32, [2, 7], generator: new Generator(3));

    [Fact]
    public void ToInference_SwapsEveryRouter_RewritesTheConfig_AndKeepsOutputsBitwise()
    {
        var model = new TransformerLM(Moe, Catalog(), new Generator(5));
        model.eval();
        var before = model.forward(Ids).Logits.data<float>();
        long paramsBefore = model.num_parameters();

        Assert.Same(model, model.ToInference());

        Assert.All(model.MoeLayers, l => Assert.IsType<LinearRouter>(l.Block.Router));
        Assert.Equal("linear", model.Config.Moe!.Router);
        Assert.Equal("""{"Normalize":"topk-softmax"}""", model.Config.Moe.RouterOptions!.ToJsonString());
        Assert.Equal(before, model.forward(Ids).Logits.data<float>());
        Assert.Equal(paramsBefore, model.num_parameters()); // raw (n, d) became weight (n, d)
        Assert.Contains("model.layers.2.mlp.gate.weight", model.state_dict().Keys);

        // The rewritten checkpoint rebuilds with the linear plugin only, and routes the same.
        var reloaded = TransformerLM.FromCheckpoint(model.ToCheckpoint(), TestCatalog.Create());
        reloaded.eval();
        Assert.Equal(before, reloaded.forward(Ids).Logits.data<float>());
    }

    [Fact]
    public void ToInference_RouterThatIsItsOwnForm_KeepsRouterAndConfig()
    {
        var config = Moe with { Moe = Moe.Moe! with { Router = "linear" } };
        var model = new TransformerLM(config, TestCatalog.Create(), new Generator(5));
        var router = model.MoeLayers[0].Block.Router;
        model.ToInference();
        Assert.Same(router, model.MoeLayers[0].Block.Router);
        Assert.Equal(config, model.Config);
        Assert.False(model.training);
    }

    [Fact]
    public void Extend_AppendsTheExpertEverywhere_GrowsRoutersAndConfig_AndKeepsOldExperts()
    {
        var config = Moe with { Moe = Moe.Moe! with { Router = "linear", RouterOptions = new() { ["ExtendMode"] = "expand" } } };
        var moe = new TransformerLM(config, TestCatalog.Create(), new Generator(5));
        var dense = new TransformerLM(TransformerLMTests.Tiny with { NumHiddenLayers = 3 }, TestCatalog.Create(), new Generator(9));
        var source = new ExpertSource("d", dense.ToCheckpoint(), DomainEmbedding: null);

        var extended = ModelExtension.Extend(moe, new AppendFfnStrategy(), source, TestCatalog.Create(), new Generator(11));

        Assert.Equal(4, extended.Config.Moe!.NumExperts);
        Assert.Equal(["a", "b", "c", "d"], extended.Config.Moe.Domains);
        Assert.Equal(3, moe.Config.Moe!.NumExperts); // the original is left alone
        var state = extended.state_dict();
        var old = moe.state_dict();
        var denseState = dense.state_dict();
        foreach (int layer in (int[])[0, 2])
        {
            Assert.Equal(denseState[$"model.layers.{layer}.mlp.up_proj.weight"].data<float>(), state[$"model.layers.{layer}.mlp.experts.3.up_proj.weight"].data<float>());
            Assert.Equal(old[$"model.layers.{layer}.mlp.experts.1.down_proj.weight"].data<float>(), state[$"model.layers.{layer}.mlp.experts.1.down_proj.weight"].data<float>());
            Assert.Equal([4L, 16], state[$"model.layers.{layer}.mlp.gate.weight"].shape);
            Assert.Equal(old[$"model.layers.{layer}.mlp.gate.weight"].data<float>(), state[$"model.layers.{layer}.mlp.gate.weight"].narrow(0, 0, 3).contiguous().data<float>());
        }
        // It runs, and reloads from its own checkpoint.
        var reloaded = TransformerLM.FromCheckpoint(extended.ToCheckpoint(), TestCatalog.Create());
        extended.eval();
        reloaded.eval();
        Assert.Equal(extended.forward(Ids).Logits.data<float>(), reloaded.forward(Ids).Logits.data<float>());
    }

    [Fact]
    public void Extend_DenseModel_SaysExtensionNeedsAnMoe()
    {
        var dense = new TransformerLM(TransformerLMTests.Tiny, TestCatalog.Create(), new Generator(9));
        var e = Assert.Throws<ArgumentException>(() => ModelExtension.Extend(dense, new AppendFfnStrategy(),
            new ExpertSource("d", dense.ToCheckpoint(), null), TestCatalog.Create(), new Generator(1)));
        Assert.StartsWith("ModelExtension.Extend: the model is dense; extension appends an expert to an MoE", e.Message);
    }

    [Fact]
    public void HiddenStates_AreEmbeddingsBlocksAndTheFinalNormedState_WhichTheHeadReads()
    {
        var model = new TransformerLM(Moe with { Moe = Moe.Moe! with { Router = "linear" } }, TestCatalog.Create(), new Generator(5));
        model.eval();
        var states = model.HiddenStates(Ids);
        Assert.Equal(5, states.Count); // embeddings, 3 blocks, final norm
        Assert.All(states, s => Assert.Equal([2L, 7, 16], s.shape));
        Assert.Equal(model.EmbeddingWeight.index_select(0, Ids.reshape(-1)).data<float>(), states[0].reshape(-1, 16).data<float>());
        var logits = nn.functional.linear(states[4], model.HeadWeight);
        Assert.Equal(model.forward(Ids).Logits.data<float>(), logits.data<float>());
    }

    [Fact]
    public void MeanHiddenState_AveragesEveryTokenAcrossContextWindows()
    {
        var config = TransformerLMTests.Tiny with { VocabSize = 256 };
        var model = new TransformerLM(config, TestCatalog.Create(), new Generator(5));
        var provider = new ModelHiddenStates(model, new Core.Text.ByteTokenizer());
        string text = new string('x', 20) + "yz"; // 22 bytes: windows of 16 and 6
        var mean = provider.MeanHiddenState(text, layer: 1);

        model.eval();
        var ids = System.Text.Encoding.UTF8.GetBytes(text).Select(b => (long)b).ToArray();
        var a = model.HiddenStates(tensor(ids[..16]).reshape(1, -1))[1].to(ScalarType.Float64).sum([0, 1]);
        var b = model.HiddenStates(tensor(ids[16..]).reshape(1, -1))[1].to(ScalarType.Float64).sum([0, 1]);
        Assert.True(((a + b) / 22.0 - mean).abs().max().ToDouble() < 1e-12);
        Assert.Equal(16, provider.Dim);
        Assert.Equal(2, provider.Layers);
        var e = Assert.Throws<ArgumentException>(() => provider.MeanHiddenState(text, layer: 3));
        Assert.StartsWith("ModelHiddenStates: layer 3 does not exist; use 0 (embeddings) to 2 (after the last block), or -1 for the final normed state", e.Message);
    }

    /// <summary>Extend as the simplest strategy: expert n is the new model's FFN, everything else stays the MoE's.</summary>
    private sealed class AppendFfnStrategy : IMergeStrategy
    {
        public Type? OptionsType => null;

        public ModelCheckpoint Merge(MergeRequest request) => throw new NotSupportedException();

        public ModelCheckpoint Extend(ExtendRequest request)
        {
            var tensors = new Dictionary<string, Tensor>(request.Moe.Tensors);
            int n = request.Moe.Config.Moe!.NumExperts;
            for (int layer = 0; layer < request.Moe.Config.NumHiddenLayers; layer++)
            {
                if (!request.Moe.Config.Moe.IsMoeLayer(layer)) continue;
                foreach (var w in HuggingFaceNames)
                    tensors[CanonicalNames.Expert(layer, n) + w] = request.NewExpert.Checkpoint.Tensors[CanonicalNames.Mlp(layer) + w];
            }
            return request.Moe with { Tensors = tensors };
        }

        private static readonly string[] HuggingFaceNames = ["gate_proj.weight", "up_proj.weight", "down_proj.weight"];
    }
}
