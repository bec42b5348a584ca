// Inputs are validated before anything is merged; messages name the checkpoint, the tensor and both shapes.
using PluginMoE.Abstractions.Merging;
using PluginMoE.Plugins.Mergers;
using PluginMoE.Tensors;

namespace PluginMoE.Mergers.Tests;

public sealed class InputValidationTests
{
    [Fact]
    public void Merge_ExpertOfAnotherArchitecture_NamesTheFieldAndBothValues()
    {
        var wide = Tiny.Dense(2, Tiny.Config with { IntermediateSize = 32 });
        var e = Assert.Throws<ArgumentException>(() => new BtxStrategy().Merge(new MergeRequest(Tiny.Dense(1), [new("code", wide, null)], Tiny.Moe(1))));
        Assert.Contains("expert 'code': config intermediate_size is 32 but seed has 24; every input must have the same architecture", e.Message);
    }

    [Fact]
    public void Merge_TensorOfAnotherShape_NamesTheCheckpointTheTensorAndBothShapes()
    {
        var expert = Tiny.Dense(2);
        var tensors = new Dictionary<string, Tensor>(expert.Tensors) { ["model.layers.1.self_attn.q_proj.weight"] = torch.zeros(8, 16) };
        tensors.Remove("model.norm.weight");
        var e = Assert.Throws<ArgumentException>(() => new BtxStrategy().Merge(new MergeRequest(Tiny.Dense(1), [new("code", expert with { Tensors = tensors }, null)], Tiny.Moe(1))));
        Assert.Contains("merge strategy 'btx': 2 problems with the inputs (nothing was merged)", e.Message);
        Assert.Contains("expert 'code': tensor 'model.layers.1.self_attn.q_proj.weight' has shape (8, 16) but seed has (16, 16)", e.Message);
        Assert.Contains("expert 'code': tensor 'model.norm.weight' is missing (seed has it with shape (16))", e.Message);
    }

    [Fact]
    public void Merge_RepeatedDomainsMoeInputsAndTooLargeK_AreAllReported()
    {
        var moe = new BtxStrategy().Merge(new MergeRequest(Tiny.Dense(1), [new("a", Tiny.Dense(2), null)], Tiny.Moe(1)));
        var e = Assert.Throws<ArgumentException>(() => new BtxStrategy().Merge(new MergeRequest(Tiny.Dense(1),
            [new("code", Tiny.Dense(2), null), new("Code", Tiny.Dense(3), null), new("moe", moe, null)], Tiny.Moe(4))));
        Assert.Contains("domain 'Code' is given twice (experts 0 and 1); domain names must be distinct", e.Message);
        Assert.Contains("expert 'moe': is an MoE checkpoint (1 experts, router 'linear'), but a dense model is needed here", e.Message);
        Assert.Contains("top-k is 4 but the MoE has 3 routed experts; k must be between 1 and 3", e.Message);
    }

    [Fact]
    public void Merge_ExtendStrategy_RefusesToMerge()
    {
        var e = Assert.Throws<NotSupportedException>(() => new ExtendStrategy().Merge(new MergeRequest(Tiny.Dense(1), [], Tiny.Moe())));
        Assert.Contains("only extends an existing MoE", e.Message);
    }
}
