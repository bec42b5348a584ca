// Canonical <-> file tensor names per layout: the Hugging Face names each layout uses, and names a
// layout does not write are not accepted as its own.
using PluginMoE.Core.Checkpoints;

namespace PluginMoE.Core.Tests.Checkpoints;

public sealed class LayoutNamesTests
{
    [Theory]
    [InlineData("model.layers.3.mlp.gate.weight", CheckpointLayout.Mixtral, "model.layers.3.block_sparse_moe.gate.weight")]
    [InlineData("model.layers.0.mlp.experts.7.gate_proj.weight", CheckpointLayout.Mixtral, "model.layers.0.block_sparse_moe.experts.7.w1.weight")]
    [InlineData("model.layers.0.mlp.experts.7.down_proj.weight", CheckpointLayout.Mixtral, "model.layers.0.block_sparse_moe.experts.7.w2.weight")]
    [InlineData("model.layers.0.mlp.experts.7.up_proj.weight", CheckpointLayout.Mixtral, "model.layers.0.block_sparse_moe.experts.7.w3.weight")]
    [InlineData("model.layers.1.mlp.shared_expert.up_proj.weight", CheckpointLayout.DeepSeekMoe, "model.layers.1.mlp.shared_experts.up_proj.weight")]
    [InlineData("model.layers.1.mlp.shared_expert.up_proj.weight", CheckpointLayout.PluginMoE, "model.layers.1.mlp.shared_experts.up_proj.weight")]
    [InlineData("model.layers.1.mlp.gate.hypernet.0.weight", CheckpointLayout.PluginMoE, "model.layers.1.mlp.gate.hypernet.0.weight")]
    [InlineData("model.layers.1.mlp.gate_proj.weight", CheckpointLayout.Llama, "model.layers.1.mlp.gate_proj.weight")]
    [InlineData("lm_head.weight", CheckpointLayout.Mixtral, "lm_head.weight")]
    public void CanonicalName_MapsToTheLayoutsNameAndBack(string canonical, CheckpointLayout layout, string file)
    {
        Assert.Equal(file, LayoutNames.ToFile(canonical, layout));
        Assert.Equal(canonical, LayoutNames.ToCanonical(file, layout));
    }

    [Theory]
    [InlineData("model.layers.0.mlp.experts.0.gate_proj.weight", CheckpointLayout.Mixtral)]
    [InlineData("model.layers.0.mlp.gate.weight", CheckpointLayout.Mixtral)]
    [InlineData("model.layers.0.mlp.shared_expert.up_proj.weight", CheckpointLayout.DeepSeekMoe)]
    public void CanonicalNameInsideAFileOfAnotherLayout_IsNotThatLayoutsName(string name, CheckpointLayout layout) =>
        Assert.Null(LayoutNames.ToCanonical(name, layout));
}
