// The layout comes from what the modules report (IHuggingFaceRouter/IHuggingFaceExpert), not from plugin names or
// option keys: init-only options keep a Hugging Face layout, a width multiplier or a non-gate router does not.
using System.Text.Json.Nodes;
using PluginMoE.Abstractions.Checkpoints;
using PluginMoE.Core.Checkpoints;
using PluginMoE.Core.Model;
using PluginMoE.Core.Tests.Surgery;
using PluginMoE.Tensors;

namespace PluginMoE.Core.Tests.Checkpoints;

public sealed class HuggingFaceFormTests : IDisposable
{
    private readonly ScratchFolder _scratch = new();

    public void Dispose() => _scratch.Dispose();

    private static readonly ModelConfig Moe = CheckpointTestData.Dense() with
    {
        ExpertOptions = new JsonObject { ["InitStd"] = 0.01 },
        Moe = new MoeConfig { NumExperts = 3, TopK = 2, RouterOptions = new JsonObject { ["InitStd"] = 0.05, ["JitterNoise"] = 0.01 } },
    };

    [Fact]
    public void InitOnlyOptions_KeepTheMixtralLayout_AndTheJitterIsWritten()
    {
        var model = new TransformerLM(Moe, TestCatalog.Create(), new Generator(1));
        var dir = _scratch.Sub("m");
        Assert.Equal(CheckpointLayout.Mixtral, CheckpointStore.Save(dir, model.ToCheckpoint()));
        var json = JsonNode.Parse(File.ReadAllText(Path.Combine(dir, "config.json")))!;
        Assert.Equal(0.01, (double)json["router_jitter_noise"]!);
        Assert.Equal("silu", (string?)json["hidden_act"]);
        var back = TransformerLM.FromCheckpoint(CheckpointStore.Load(dir), TestCatalog.Create());
        Assert.Equal(Moe.Moe!.RouterOptions!.ToJsonString(), back.Config.Moe!.RouterOptions!.ToJsonString()); // the section keeps the plugin's own options
    }

    [Fact]
    public void SoftmaxTopK_SavesAsDeepSeekWithoutRenormalisation_AndAskingForMixtralSaysWhy()
    {
        var config = Moe with { Moe = Moe.Moe! with { RouterOptions = new JsonObject { ["Normalize"] = "softmax-topk" } } };
        var checkpoint = new TransformerLM(config, TestCatalog.Create(), new Generator(1)).ToCheckpoint();
        Assert.Equal(false, checkpoint.HuggingFace!.RenormalizeTopK);
        var dir = _scratch.Sub("d");
        Assert.Equal(CheckpointLayout.DeepSeekMoe, CheckpointStore.Save(dir, checkpoint));
        Assert.False((bool)JsonNode.Parse(File.ReadAllText(Path.Combine(dir, "config.json")))!["norm_topk_prob"]!);
        var e = Assert.Throws<ArgumentException>(() => CheckpointStore.Save(_scratch.Sub("x"), checkpoint, CheckpointLayout.Mixtral));
        Assert.Contains("its router does not renormalise the top-k weights, Mixtral's does", e.Message);
    }

    [Fact]
    public void WidthMultiplier_HasNoHuggingFaceForm_SoThePluginMoeLayoutIsChosen()
    {
        var config = Moe with { ExpertOptions = new JsonObject { ["WidthMultiplier"] = 0.5 } };
        var checkpoint = new TransformerLM(config, TestCatalog.Create(), new Generator(1)).ToCheckpoint();
        Assert.Equal("layer 0's expert 0 is 12 wide but the config's width is 24 (an expert width option has no Hugging Face equivalent)", checkpoint.HuggingFace!.FfnObstacle);
        Assert.Equal(CheckpointLayout.PluginMoE, CheckpointStore.Save(_scratch.Sub("w"), checkpoint));
    }

    [Fact]
    public void RouterWithoutAGateForm_IsReportedByItsLayer()
    {
        var config = Moe with { Moe = Moe.Moe! with { Router = "doubled", RouterOptions = null } };
        var checkpoint = new TransformerLM(config, TestCatalog.Create().AddRouter("doubled", new DoubledRouterFactory()), new Generator(1)).ToCheckpoint();
        Assert.Null(checkpoint.HuggingFace!.RenormalizeTopK);
        var e = Assert.Throws<ArgumentException>(() => CheckpointStore.Save(_scratch.Sub("r"), checkpoint, CheckpointLayout.Mixtral));
        Assert.Contains("layer 0's router ('doubled') is not a Hugging Face linear gate", e.Message);
    }

    [Fact]
    public void CheckpointWithoutAForm_IsSavedInThePluginMoeLayout()
    {
        var checkpoint = CheckpointTestData.Random(CheckpointTestData.Mixtral()) with { HuggingFace = null };
        Assert.Equal(CheckpointLayout.PluginMoE, CheckpointStore.Save(_scratch.Sub("n"), checkpoint));
        var e = Assert.Throws<ArgumentException>(() => CheckpointStore.Save(_scratch.Sub("n2"), checkpoint, CheckpointLayout.Mixtral));
        Assert.Contains("the checkpoint does not say how its components map to Hugging Face modules", e.Message);
    }
}
