// ModelRules is the one place of the architecture rules: the profile's Model section and a ModelConfig (as a
// checkpoint from another tool gives it) break the same rule with the same words, each under its own key names.
using System.ComponentModel.DataAnnotations;
using PluginMoE.Abstractions.Checkpoints;
using PluginMoE.Core.Model;
using PluginMoE.Core.Recipe.Settings;
using PluginMoE.Tensors;

namespace PluginMoE.Core.Tests.Model;

public sealed class ModelRulesTests
{
    private static List<string> ProfileProblems(ModelOptions options) =>
        [.. options.Validate(new ValidationContext(options)).Select(r => $"{r.MemberNames.Single()}: {r.ErrorMessage}")];

    [Fact]
    public void OddHeadWidth_ProfileAndConfig_SameRuleUnderTheirOwnNames()
    {
        var profile = ProfileProblems(new ModelOptions { HiddenSize = 12, Heads = 4, KeyValueHeads = 4 });
        Assert.Equal(["HiddenSize: HiddenSize / Heads (the head width, 3) must be even for rotary embeddings"], profile);

        var config = new ModelConfig { HiddenSize = 12, NumAttentionHeads = 4, NumKeyValueHeads = 4 };
        Assert.Equal(["HiddenSize: value 12 is not allowed: HiddenSize / NumAttentionHeads (the head width, 3) must be even for rotary embeddings"],
            ModelRules.Check(config, ModelKeyNames.Config).Select(p => p.ToString()));
        var e = Assert.Throws<ArgumentException>(() => new TransformerLM(config, TestCatalog.Create(), new Generator(1)));
        Assert.Contains("HiddenSize: value 12 is not allowed: HiddenSize / NumAttentionHeads (the head width, 3) must be even", e.Message);
    }

    [Fact]
    public void MoeRules_NameTheProfileKeys()
    {
        var options = new ModelOptions { Layers = 2, Moe = new MoeOptions { Experts = 2, TopK = 3, Layers = [2], LoadBalanceWeight = -1 } };
        Assert.Equal(
        [
            "Moe:TopK: must be at most Moe:Experts (2)",
            "Moe:LoadBalanceWeight: allowed values are 0 to 10",
            "Moe:Layers: layer 2 does not exist; layers are 0 to 1 (Layers is 2)",
        ], ProfileProblems(options));
    }

    [Fact]
    public void ProfileEncodings_ReachTheRules_InsteadOfDisappearing()
    {
        // Negative values of settings whose 0 means "none" are refused, not read as "none".
        Assert.Equal(["Moe:Experts: allowed values are 1 to 4096"], ProfileProblems(new ModelOptions { Moe = new MoeOptions { Experts = -1 } }));
        Assert.Equal(["Moe:ExpertIntermediateSize: allowed values are 1 to 1048576"],
            ProfileProblems(new ModelOptions { Moe = new MoeOptions { Experts = 2, ExpertIntermediateSize = -5 } }));
        Assert.Empty(ProfileProblems(new ModelOptions()));
    }

    [Fact]
    public void ProfileDefaults_AreTheCheckpointConfigsDefaults() =>
        Assert.Equal(new ModelConfig(), new ModelOptions().ToModelConfig());
}
