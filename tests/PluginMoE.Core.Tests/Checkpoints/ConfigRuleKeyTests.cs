// A config.json that passes the reader's own checks but breaks a ModelRules rule (too many layers or experts, an
// epsilon or a balancing weight out of range) is refused naming the file and the key as that layout spells it
// (num_local_experts for Mixtral, n_routed_experts for DeepSeek, pluginmoe.moe.num_experts for PluginMoE), not the
// ModelConfig property.
using System.Text.Json.Nodes;
using PluginMoE.Core.Checkpoints;

namespace PluginMoE.Core.Tests.Checkpoints;

public sealed class ConfigRuleKeyTests
{
    private const string File = "/ckpt/config.json";

    private static string Refused(string fixture, Action<JsonObject> edit)
    {
        var o = ConfigValueTests.Fixture(fixture);
        if (o["pluginmoe"]?["moe"] is JsonObject moe) moe.Remove("domains");
        edit(o);
        var e = Assert.Throws<CheckpointFormatException>(() => HfConfigReader.Read(o, File));
        Assert.Equal(File, e.Path);
        return e.Message;
    }

    [Theory]
    [InlineData("llama", "num_hidden_layers", 2000, "allowed values are 1 to 1024")]
    [InlineData("llama", "max_position_embeddings", 1, "allowed values are 2 to 16777216")]
    [InlineData("mixtral", "num_local_experts", 5000, "allowed values are 1 to 4096")]
    [InlineData("mixtral", "router_aux_loss_coef", 20, "allowed values are 0 to 10")]
    [InlineData("deepseek", "n_routed_experts", 5000, "allowed values are 1 to 4096")]
    [InlineData("deepseek", "aux_loss_alpha", 20, "allowed values are 0 to 10")]
    public void TopLevelKeys_AreNamedAsTheLayoutSpellsThem(string fixture, string key, int value, string allowed) =>
        Assert.Equal($"'{File}': {key}: value {value} is not allowed: {allowed}", Refused(fixture, o => o[key] = value));

    [Fact]
    public void Epsilon_IsNamedByItsConfigJsonKey() =>
        Assert.StartsWith($"'{File}': rms_norm_eps: value 0.5 is not allowed: allowed values are", Refused("llama", o => o["rms_norm_eps"] = 0.5));

    [Theory]
    [InlineData("num_experts", 5000, "allowed values are 1 to 4096")]
    [InlineData("load_balance_weight", 20, "allowed values are 0 to 10")]
    [InlineData("router_z_loss_weight", 20, "allowed values are 0 to 10")]
    public void PluginMoeSectionKeys_AreNamedWithTheSection(string key, int value, string allowed) =>
        Assert.Equal($"'{File}': pluginmoe.moe.{key}: value {value} is not allowed: {allowed}",
            Refused("pluginmoe", o => o["pluginmoe"]!["moe"]![key] = value));

    [Theory]
    [InlineData(CheckpointLayout.PluginMoE, "Moe.ExpertGroups.0.Count", "pluginmoe.moe.expert_groups.0.count")]
    [InlineData(CheckpointLayout.Mixtral, "Moe.TopK", "num_experts_per_tok")]
    [InlineData(CheckpointLayout.DeepSeekMoe, "Moe.ExpertIntermediateSize", "moe_intermediate_size")]
    [InlineData(CheckpointLayout.Llama, "Moe.Router", "pluginmoe.moe.router")]
    [InlineData(CheckpointLayout.Llama, "NumAttentionHeads", "num_attention_heads")]
    public void KeyNames_MapPropertiesToConfigJsonKeys(CheckpointLayout layout, string property, string key) =>
        Assert.Equal(key, HfConfigReader.KeyNames(layout)[property]);
}
