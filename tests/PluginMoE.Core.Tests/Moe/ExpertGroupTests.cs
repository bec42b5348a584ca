// Mixed expert kinds in one MoE layer (MoeConfig.ExpertGroups): FFN experts beside MoE++/AdaMoE null experts behind one
// router. Tokens routed to a null expert get nothing from that slot; the model saves in the PluginMoE layout with its
// groups, loads back to the same logits, and Hugging Face layouts refuse it with the reason, on save and on load.
using System.Text.Json.Nodes;
using PluginMoE.Abstractions.Checkpoints;
using PluginMoE.Core.Checkpoints;
using PluginMoE.Core.Composition;
using PluginMoE.Core.Model;
using PluginMoE.Core.Moe;
using PluginMoE.Core.Tests.Checkpoints;
using PluginMoE.Plugins.Experts;
using PluginMoE.Tensors;
using static PluginMoE.Tensors.torch;

namespace PluginMoE.Core.Tests.Moe;

public sealed class ExpertGroupTests : IDisposable
{
    private readonly ScratchFolder _scratch = new();

    public void Dispose() => _scratch.Dispose();

    private static ComponentCatalog Catalog() => TestCatalog.Create().AddExpert("null", new NullExpertFactory());

    private static readonly ModelConfig Config = CheckpointTestData.Dense() with
    {
        Moe = new MoeConfig
        {
            NumExperts = 5, TopK = 2,
            ExpertGroups = [new ExpertGroup("swiglu", 3), new ExpertGroup("null", 2)],
        },
    };

    [Fact]
    public void Layer_BuildsEachGroupsPlugin_AndNullExpertSlotsContributeNothing()
    {
        var layer = new MoeLayer(Config, Catalog(), new Generator(3), ScalarType.Float64);
        Assert.All(layer.Experts.Take(3), e => Assert.IsType<SwiGluExpert>(e));
        Assert.All(layer.Experts.Skip(3), e => { Assert.IsType<NullExpert>(e); Assert.Equal(0, e.num_parameters()); });

        var x = randn([64, Config.HiddenSize], ScalarType.Float64, new Generator(4));
        var output = layer.forward(x);
        var indices = output.ExpertIndices.data<long>().ToArray();
        var weights = output.ExpertWeights!.to(ScalarType.Float64).data<double>().ToArray();
        Assert.Contains(indices, j => j >= 3); // some slots do go to a null expert

        // y_t = sum over the token's k slots of g * expert(x_t), where a null expert's output is zero.
        var rows = new List<Tensor>();
        using (no_grad())
            for (int t = 0; t < 64; t++)
            {
                var row = zeros([1, Config.HiddenSize], ScalarType.Float64);
                for (int s = 0; s < 2; s++)
                {
                    long j = indices[t * 2 + s];
                    if (j < 3) row = row + layer.Experts[(int)j].forward(x.narrow(0, t, 1)) * weights[t * 2 + s];
                }
                rows.Add(row);
            }
        var expected = cat([.. rows], 0);
        Assert.True((output.Output - expected).abs().max().ToDouble() < 1e-12);
        var onlyNull = Enumerable.Range(0, 64).Where(t => indices[t * 2] >= 3 && indices[t * 2 + 1] >= 3).ToList();
        foreach (var t in onlyNull) Assert.Equal(0, output.Output.narrow(0, t, 1).abs().max().ToDouble());
    }

    [Fact]
    public void Model_SavesTheGroupsInThePluginMoeLayout_LoadsBack_AndRefusesHuggingFaceLayouts()
    {
        var model = new TransformerLM(Config, Catalog(), new Generator(1));
        var dir = _scratch.Sub("groups");
        Assert.Equal(CheckpointLayout.PluginMoE, CheckpointStore.Save(dir, model.ToCheckpoint()));
        var json = JsonNode.Parse(File.ReadAllText(Path.Combine(dir, "config.json")))!;
        Assert.Equal("""[{"expert":"swiglu","count":3},{"expert":"null","count":2}]""", json["pluginmoe"]!["moe"]!["expert_groups"]!.ToJsonString());

        var back = TransformerLM.FromCheckpoint(CheckpointStore.Load(dir), Catalog());
        Assert.Equal(["swiglu", "null"], back.Config.Moe!.ExpertGroups!.Select(g => g.Expert));
        var ids = randint(0, 32, [2, 6], generator: new Generator(2));
        Assert.Equal(model.forward(ids).Logits.data<float>().ToArray(), back.forward(ids).Logits.data<float>().ToArray());

        var e = Assert.Throws<ArgumentException>(() => CheckpointStore.Save(_scratch.Sub("mixtral"), model.ToCheckpoint(), CheckpointLayout.Mixtral));
        Assert.Contains("its MoE blocks mix expert kinds (3 'swiglu' + 2 'null'), and Hugging Face layouts have one kind of expert", e.Message);
    }

    [Fact]
    public void HuggingFaceConfigWithExpertGroups_IsRefusedNamingTheKey()
    {
        var plain = CheckpointTestData.Dense() with { Moe = new MoeConfig { NumExperts = 2, TopK = 1 } };
        var dir = _scratch.Sub("mixtral");
        Assert.Equal(CheckpointLayout.Mixtral, CheckpointStore.Save(dir, new TransformerLM(plain, Catalog(), new Generator(1)).ToCheckpoint()));
        var path = Path.Combine(dir, "config.json");
        var json = JsonNode.Parse(File.ReadAllText(path))!;
        json["pluginmoe"]!["moe"]!["expert_groups"] = JsonNode.Parse("""[{"expert":"swiglu","count":1},{"expert":"null","count":1}]""");
        File.WriteAllText(path, json.ToJsonString());
        var error = Assert.Throws<CheckpointFormatException>(() => CheckpointStore.Load(dir));
        Assert.Contains("key 'pluginmoe.moe.expert_groups' mixes expert kinds (1 'swiglu' + 1 'null') but model_type is 'mixtral'", error.Message);
    }

    [Fact]
    public void GroupsThatDoNotSumToNumExperts_AreRefused_AndExtensionAppendsAGroup()
    {
        var bad = Config with { Moe = Config.Moe! with { NumExperts = 4 } };
        var e = Assert.Throws<ArgumentException>(() => new TransformerLM(bad, Catalog(), new Generator(1)));
        Assert.Contains("Moe:NumExperts: value 4 is not allowed: Moe:ExpertGroups hold 3 'swiglu' + 2 'null' = 5 experts; set Moe:NumExperts to 5", e.Message);

        var grown = Config.WithMoreExperts(1).Moe!;
        Assert.Equal(6, grown.NumExperts);
        Assert.Equal([("swiglu", 3), ("null", 2), ("swiglu", 1)], grown.ExpertGroups!.Select(g => (g.Expert, g.Count)));
        Assert.Equal("swiglu", (Config with { Moe = grown }).RoutedExpert(5).Expert);
    }
}
