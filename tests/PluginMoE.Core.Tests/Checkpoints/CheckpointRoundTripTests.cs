// Save -> load is bitwise for every layout, Auto picks the most widely readable layout that expresses
// the model, files carry each layout's Hugging Face names and keys, and writes are atomic.
using System.Text.Json.Nodes;
using PluginMoE.Abstractions.Checkpoints;
using PluginMoE.Core.Checkpoints;
using PluginMoE.Tensors.Serialization;
using static PluginMoE.Core.Tests.Checkpoints.CheckpointTestData;

namespace PluginMoE.Core.Tests.Checkpoints;

public sealed class CheckpointRoundTripTests : IDisposable
{
    private readonly ScratchFolder _scratch = new();

    public void Dispose() => _scratch.Dispose();

    public static TheoryData<string, CheckpointLayout> Models => new()
    {
        { "dense", CheckpointLayout.Llama },
        { "dense-tied", CheckpointLayout.Llama },
        { "mixtral", CheckpointLayout.Mixtral },
        { "deepseek", CheckpointLayout.DeepSeekMoe },
        { "nexus", CheckpointLayout.PluginMoE },
    };

    private static ModelCheckpoint Build(string model) => model switch
    {
        "dense" => Random(Dense()),
        "dense-tied" => Random(Dense(tied: true)),
        "mixtral" => Random(Mixtral()),
        "deepseek" => Random(DeepSeek()),
        _ => RandomNexus(),
    };

    [Theory, MemberData(nameof(Models))]
    public void SaveThenLoad_IsBitwiseEqualAndAutoPicksTheExpectedLayout(string model, CheckpointLayout expected)
    {
        var ckpt = Build(model);
        var dir = _scratch.Sub(model);
        Assert.Equal(expected, CheckpointStore.Save(dir, ckpt));
        Assert.Equal(expected, CheckpointStore.DetectLayout(dir));
        AssertBitwiseEqual(ckpt, CheckpointStore.Load(dir));
    }

    [Theory, MemberData(nameof(Models))]
    public void SaveInPluginMoeLayout_RoundTripsEveryModel(string model, CheckpointLayout _)
    {
        var ckpt = Build(model);
        var dir = _scratch.Sub(model);
        CheckpointStore.Save(dir, ckpt, CheckpointLayout.PluginMoE);
        AssertBitwiseEqual(ckpt, CheckpointStore.Load(dir));
    }

    [Fact]
    public void MixtralLayout_UsesBlockSparseMoeNamesAndMixtralKeys()
    {
        var dir = _scratch.Sub("m");
        CheckpointStore.Save(dir, Random(Mixtral()), CheckpointLayout.Mixtral);
        using var f = SafeTensorsFile.Open(Path.Combine(dir, "model.safetensors"));
        Assert.Contains("model.layers.1.block_sparse_moe.gate.weight", f.Names);
        Assert.Equal([24L, 16], f.GetInfo("model.layers.0.block_sparse_moe.experts.3.w1.weight").Shape);  // gate_proj
        Assert.Equal([16L, 24], f.GetInfo("model.layers.0.block_sparse_moe.experts.3.w2.weight").Shape);  // down_proj
        Assert.Contains("model.layers.0.block_sparse_moe.experts.3.w3.weight", f.Names);                  // up_proj
        Assert.DoesNotContain(f.Names, n => n.Contains(".mlp."));
        var json = JsonNode.Parse(File.ReadAllText(Path.Combine(dir, "config.json")))!.AsObject();
        Assert.Equal("mixtral", (string?)json["model_type"]);
        Assert.Equal("MixtralForCausalLM", (string?)json["architectures"]![0]);
        Assert.Equal(4, (int?)json["num_local_experts"]);
        Assert.Equal(2, (int?)json["num_experts_per_tok"]);
        Assert.Equal(0.02, (double?)json["router_aux_loss_coef"]);
        Assert.Equal(2, (int?)json["num_key_value_heads"]);
        Assert.Equal(64, ((string?)json["pluginmoe"]!["sha256"]!["model.safetensors"])!.Length);
    }

    [Fact]
    public void DeepSeekLayout_UsesSharedExpertsNamesAndDenseLayerKeys()
    {
        var dir = _scratch.Sub("d");
        CheckpointStore.Save(dir, Random(DeepSeek()));
        using var f = SafeTensorsFile.Open(Path.Combine(dir, "model.safetensors"));
        Assert.Contains("model.layers.2.mlp.shared_experts.gate_proj.weight", f.Names);
        Assert.Contains("model.layers.1.mlp.experts.2.down_proj.weight", f.Names);
        Assert.Contains("model.layers.0.mlp.up_proj.weight", f.Names);
        var json = JsonNode.Parse(File.ReadAllText(Path.Combine(dir, "config.json")))!.AsObject();
        Assert.Equal("deepseek", (string?)json["model_type"]);
        Assert.Equal(3, (int?)json["n_routed_experts"]);
        Assert.Equal(2, (int?)json["n_shared_experts"]);
        Assert.Equal(24, (int?)json["moe_intermediate_size"]);
        Assert.False((bool?)json["norm_topk_prob"]);
        Assert.Equal("softmax", (string?)json["scoring_func"]);
        Assert.Equal(1, (int?)json["first_k_dense_replace"]);
        Assert.Equal(1, (int?)json["moe_layer_freq"]);
    }

    [Fact]
    public void PluginMoeLayout_KeepsRouterTensorsAndDomainEmbeddingsUnderTheirOwnNames()
    {
        var dir = _scratch.Sub("n");
        CheckpointStore.Save(dir, RandomNexus());
        using var f = SafeTensorsFile.Open(Path.Combine(dir, "model.safetensors"));
        Assert.Contains("pluginmoe.domain_embeddings", f.Names);
        Assert.Contains("model.layers.0.mlp.gate.hypernet.0.weight", f.Names);
        var json = JsonNode.Parse(File.ReadAllText(Path.Combine(dir, "config.json")))!.AsObject();
        Assert.Equal("pluginmoe", (string?)json["model_type"]);
        Assert.Equal("nexus", (string?)json["pluginmoe"]!["moe"]!["router"]);
        Assert.Equal("gelu", (string?)json["pluginmoe"]!["expert_type"]);
        Assert.Null(json["hidden_act"]);
    }

    [Fact]
    public void ExplicitHfLayoutThatCannotHoldTheModel_FailsWithTheReasons()
    {
        var e = Assert.Throws<ArgumentException>(() => CheckpointStore.Save(_scratch.Sub("x"), Random(DeepSeek()), CheckpointLayout.Mixtral));
        Assert.Contains("cannot save this model in the Mixtral layout", e.Message);
        Assert.Contains("does not renormalise the top-k weights", e.Message);
        Assert.Contains("it has a shared expert", e.Message);
        Assert.Contains("some layers are dense", e.Message);
        Assert.Contains("Use CheckpointLayout.PluginMoE", e.Message);
        Assert.False(Directory.Exists(_scratch.Sub("x")));

        var n = Assert.Throws<ArgumentException>(() => CheckpointStore.Save(_scratch.Sub("y"), RandomNexus(), CheckpointLayout.DeepSeekMoe));
        Assert.Contains("layer 0's router ('nexus') is not a Hugging Face linear gate", n.Message);
        Assert.Contains("('gelu' expert) is not a Hugging Face Llama MLP", n.Message);
        Assert.Contains("pluginmoe.domain_embeddings", n.Message);
    }

    [Fact]
    public void LinearRouterWithExtraTensors_IsSavedInThePluginMoeLayout()
    {
        var ckpt = Random(Mixtral(), extra: new Dictionary<string, long[]> { ["model.layers.0.mlp.gate.bias"] = [4], ["model.layers.1.mlp.gate.bias"] = [4] });
        var dir = _scratch.Sub("b");
        Assert.Equal(CheckpointLayout.PluginMoE, CheckpointStore.Save(dir, ckpt));
        AssertBitwiseEqual(ckpt, CheckpointStore.Load(dir));
    }

    [Fact]
    public void Save_TensorsThatDoNotMatchTheConfig_FailsBeforeWritingAnything()
    {
        var good = Random(Dense());
        var tensors = good.Tensors.Where(kv => kv.Key != "model.norm.weight").ToDictionary();
        tensors["model.layers.0.self_attn.k_proj.weight"] = PluginMoE.Tensors.torch.zeros(16, 16);
        var e = Assert.Throws<ArgumentException>(() => CheckpointStore.Save(_scratch.Sub("z"), good with { Tensors = tensors }));
        Assert.Contains("missing tensors (1): model.norm.weight", e.Message);
        Assert.Contains("model.layers.0.self_attn.k_proj.weight has shape (16, 16), the config implies (8, 16)", e.Message);
        Assert.Empty(Directory.GetFileSystemEntries(_scratch.Dir));
    }

    [Fact]
    public void SaveOverAnExistingCheckpoint_ReplacesItKeepsOtherFilesAndLeavesNoTempFolders()
    {
        var dir = _scratch.Sub("ckpt");
        CheckpointStore.Save(dir, Random(Dense(), seed: 1));
        File.WriteAllText(Path.Combine(dir, "trainer_state.json"), "{}");
        var second = Random(Mixtral(), seed: 2);
        CheckpointStore.Save(dir, second);
        AssertBitwiseEqual(second, CheckpointStore.Load(dir));
        Assert.True(File.Exists(Path.Combine(dir, "trainer_state.json")));
        Assert.Equal(["ckpt"], Directory.GetFileSystemEntries(_scratch.Dir).Select(Path.GetFileName));
    }
}
