// Values in a checkpoint's config.json that no model can have (zero heads, top_k 0 or above the experts, negative
// sizes, ...) fail while config.json is read, with a CheckpointFormatException naming the key and the allowed range.
using System.Text.Json.Nodes;
using PluginMoE.Core.Checkpoints;

namespace PluginMoE.Core.Tests.Checkpoints;

public sealed class ConfigValueTests
{
    private const string File = "/ckpt/config.json";

    internal static JsonObject Fixture(string name) => name == "pluginmoe"
        ? JsonNode.Parse(PluginMoeConfig)!.AsObject()
        : JsonNode.Parse(System.IO.File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Fixtures", "hf", name, "config.json")))!.AsObject();

    internal const string PluginMoeConfig = """
        {
          "model_type": "pluginmoe", "vocab_size": 256, "hidden_size": 16, "intermediate_size": 24, "num_hidden_layers": 2,
          "num_attention_heads": 2, "num_key_value_heads": 1, "head_dim": 8, "max_position_embeddings": 32,
          "rms_norm_eps": 1e-05, "rope_theta": 10000, "rope_scaling": null, "tie_word_embeddings": false,
          "attention_bias": false, "mlp_bias": false, "torch_dtype": "float32", "hidden_act": "silu",
          "pluginmoe": {
            "format_version": 1, "expert_type": "swiglu", "expert_options": { "InitStd": 0.02 },
            "moe": {
              "router": "linear", "num_experts": 2, "top_k": 1, "router_options": { "Normalize": "topk-softmax" },
              "shared_expert_intermediate_size": 8, "moe_layers": [1], "domains": ["a", "b"],
              "load_balance_weight": 0.01, "router_z_loss_weight": 0
            },
            "sha256": { "model.safetensors": "00" }
          }
        }
        """;

    private static string Refused(string fixture, Action<JsonObject> edit)
    {
        var o = Fixture(fixture);
        edit(o);
        var e = Assert.Throws<CheckpointFormatException>(() => HfConfigReader.Read(o, File));
        Assert.Equal(File, e.Path);
        return e.Message;
    }

    [Theory]
    [InlineData("llama")]
    [InlineData("mixtral")]
    [InlineData("deepseek")]
    [InlineData("pluginmoe")]
    public void Fixtures_AreRead(string fixture) => HfConfigReader.Read(Fixture(fixture), File);

    [Fact]
    public void ZeroAttentionHeads_NamesTheKeyAndTheRange() =>
        Assert.Equal($"'{File}': key 'num_attention_heads' is 0; allowed values are 1 to 32 (at most hidden_size, which it must divide)",
            Refused("llama", o => o["num_attention_heads"] = 0));

    [Theory]
    [InlineData("mixtral", "num_experts_per_tok", 0, "allowed values are 1 to 4 (at most num_local_experts)")]
    [InlineData("mixtral", "num_experts_per_tok", 5, "allowed values are 1 to 4 (at most num_local_experts)")]
    [InlineData("deepseek", "num_experts_per_tok", 0, "allowed values are 1 to 4 (at most n_routed_experts)")]
    [InlineData("mixtral", "num_local_experts", 0, "allowed values are 1 to 65536")]
    [InlineData("deepseek", "n_routed_experts", -3, "allowed values are 1 to 65536")]
    [InlineData("llama", "hidden_size", -32, "allowed values are 1 to 4194304")]
    [InlineData("llama", "vocab_size", 0, "allowed values are 1 to 16777216")]
    [InlineData("llama", "num_hidden_layers", 0, "allowed values are 1 to 10000")]
    [InlineData("llama", "max_position_embeddings", 0, "allowed values are 1 to 16777216")]
    [InlineData("llama", "num_key_value_heads", 0, "allowed values are 1 to 4 (at most num_attention_heads, which it must divide)")]
    public void TopLevelValueOutOfRange_NamesTheKeyAndTheRange(string fixture, string key, int value, string allowed) =>
        Assert.Equal($"'{File}': key '{key}' is {value}; {allowed}", Refused(fixture, o => o[key] = value));

    [Fact]
    public void ZeroExpertWidth_NamesMoeIntermediateSize() =>
        Assert.Equal($"'{File}': key 'moe_intermediate_size' is 0; allowed values are 1 to 4194304",
            Refused("deepseek", o => { o["moe_intermediate_size"] = 0; o["first_k_dense_replace"] = 0; }));

    [Theory]
    [InlineData("top_k", 0, "is 0; allowed values are 1 to 2 (at most pluginmoe.moe.num_experts)")]
    [InlineData("top_k", 3, "is 3; allowed values are 1 to 2 (at most pluginmoe.moe.num_experts)")]
    [InlineData("num_experts", 0, "is 0; allowed values are 1 to 65536")]
    [InlineData("shared_expert_intermediate_size", -1, "is -1; allowed values are 0 to 4194304")]
    [InlineData("load_balance_weight", -1, "is -1; it must be a finite number, at least 0")]
    public void PluginMoeSectionValueOutOfRange_NamesTheSectionKey(string key, int value, string detail) =>
        Assert.Equal($"'{File}': key 'pluginmoe.moe.{key}' {detail}", Refused("pluginmoe", o => o["pluginmoe"]!["moe"]![key] = value));

    [Fact]
    public void MoeLayerOutsideTheModel_NamesTheLayerRange() =>
        Assert.Equal($"'{File}': key 'pluginmoe.moe.moe_layers' is 2; allowed values are 0 to 1 (layer indices of the model)",
            Refused("pluginmoe", o => o["pluginmoe"]!["moe"]!["moe_layers"] = new JsonArray(2)));

    [Fact]
    public void DomainsThatDoNotMatchTheExperts_AreRefused() =>
        Assert.Contains("key 'pluginmoe.moe.domains' names 1 domains for 2 experts",
            Refused("pluginmoe", o => o["pluginmoe"]!["moe"]!["domains"] = new JsonArray("a")));

    [Theory]
    [InlineData("rms_norm_eps", 0.0, "it must be greater than 0 and at most 1")]
    [InlineData("rope_theta", -1.0, "it must be greater than 0")]
    public void NonPositiveFloats_AreRefused(string key, double value, string detail) =>
        Assert.EndsWith($"key '{key}' is {value:R}; {detail}", Refused("llama", o => o[key] = value));

    [Fact]
    public void OddHeadWidth_IsRefusedForRotaryEmbeddings() =>
        Assert.Contains("key 'num_attention_heads' (32) gives a head width hidden_size / num_attention_heads = 1; rotary embeddings need an even head width",
            Refused("llama", o => { o["num_attention_heads"] = 32; o["num_key_value_heads"] = 32; }));

    [Fact]
    public void DuplicateKeys_AreAFormatErrorNotAnArgumentException()
    {
        var scratch = new ScratchFolder();
        try
        {
            var dir = scratch.Sub("dup");
            Directory.CreateDirectory(dir);
            System.IO.File.WriteAllText(Path.Combine(dir, "config.json"), PluginMoeConfig.Replace("\"top_k\": 1,", "\"top_k\": 1, \"top_k\": 2,", StringComparison.Ordinal));
            var e = Assert.Throws<CheckpointFormatException>(() => CheckpointStore.DetectLayout(dir));
            Assert.Contains("gives a key more than once", e.Message);
        }
        finally { scratch.Dispose(); }
    }
}
