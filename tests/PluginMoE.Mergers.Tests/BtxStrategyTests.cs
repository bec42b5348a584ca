// btx: experts' FFNs stacked unchanged, the rest the plain average, the seed as optional generalist, Mixtral
// layout with the linear router, and the equivalence N identical copies -> the dense model's logits.
using PluginMoE.Abstractions.Checkpoints;
using PluginMoE.Abstractions.Merging;
using PluginMoE.Core.Checkpoints;
using PluginMoE.Plugins.Mergers;
using PluginMoE.Tensors;

namespace PluginMoE.Mergers.Tests;

public sealed class BtxStrategyTests
{
    private static readonly string[] Domains = ["code", "law", "math"];

    private static (ModelCheckpoint Seed, ModelCheckpoint[] Experts, ModelCheckpoint Merged) Merge(BtxOptions? options = null)
    {
        var seed = Tiny.Dense(1);
        var experts = new[] { Tiny.Dense(2), Tiny.Dense(3), Tiny.Dense(4) };
        var request = new MergeRequest(seed, [.. experts.Select((e, j) => new ExpertSource(Domains[j], e, null))], Tiny.Moe()) { Options = options };
        return (seed, experts, new BtxStrategy().Merge(request));
    }

    [Fact]
    public void Merge_EachExpertFfn_AppearsUnchangedAsExpertJInEveryLayer()
    {
        var (_, experts, merged) = Merge();
        Assert.Equal(3, merged.Config.Moe!.NumExperts);
        Assert.Equal(Domains, merged.Config.Moe.Domains);
        for (int i = 0; i < Tiny.Config.NumHiddenLayers; i++)
            for (int j = 0; j < experts.Length; j++)
                foreach (var p in new[] { "gate_proj.weight", "up_proj.weight", "down_proj.weight" })
                    Assert.True(Tiny.Same(experts[j].Tensors[CanonicalNames.Mlp(i) + p], merged.Tensors[CanonicalNames.Expert(i, j) + p]), $"layer {i} expert {j} {p}");
        Assert.DoesNotContain(merged.Tensors.Keys, k => k.Contains(".mlp.gate.", StringComparison.Ordinal)); // the router comes from its plugin
        Assert.DoesNotContain(merged.Tensors.Keys, k => k.Contains("mlp.gate_proj", StringComparison.Ordinal));
    }

    [Fact]
    public void Merge_NonFfnTensors_EqualTheHandAverage()
    {
        var (_, experts, merged) = Merge();
        var shared = experts[0].Tensors.Keys.Where(k => !k.Contains(".mlp.", StringComparison.Ordinal)).ToList();
        Assert.Contains("model.embed_tokens.weight", shared);
        Assert.Contains("lm_head.weight", shared);
        Assert.Contains("model.layers.1.self_attn.q_proj.weight", shared);
        Assert.Contains("model.norm.weight", shared);
        foreach (var name in shared)
        {
            var hand = experts.Select(e => e.Tensors[name].to(ScalarType.Float64)).Aggregate((a, b) => a + b) / 3.0;
            Assert.True(Tiny.MaxAbsDiff(hand, merged.Tensors[name]) <= 1e-7, name);
        }
    }

    [Fact]
    public void Merge_IncludeSeedAsExpert_AddsTheSeedAsTheLastGeneralistExpert()
    {
        var (seed, experts, merged) = Merge(new BtxOptions { IncludeSeedAsExpert = true });
        Assert.Equal(4, merged.Config.Moe!.NumExperts);
        Assert.Equal([.. Domains, "generalist"], merged.Config.Moe.Domains);
        Assert.True(Tiny.Same(seed.Tensors["model.layers.1.mlp.up_proj.weight"], merged.Tensors[CanonicalNames.Expert(1, 3) + "up_proj.weight"]));
        var hand = experts.Append(seed).Select(e => e.Tensors["model.norm.weight"].to(ScalarType.Float64)).Aggregate((a, b) => a + b) / 4.0;
        Assert.True(Tiny.MaxAbsDiff(hand, merged.Tensors["model.norm.weight"]) <= 1e-7);
    }

    [Fact]
    public void Merge_LinearRouterWithoutSharedExpert_SavesAsMixtral()
    {
        var (_, _, merged) = Merge();
        using var dir = new TempDir();
        Assert.Equal(CheckpointLayout.Mixtral, CheckpointStore.Save(dir.Combine("moe"), Tiny.Model(Tiny.WithRouters(merged)).ToCheckpoint()));
        var back = CheckpointStore.Load(dir.Combine("moe"));
        Assert.Equal(3, back.Config.Moe!.NumExperts);
    }

    [Theory]
    [InlineData(2, "topk-softmax")]   // gates: softmax over the k best logits
    [InlineData(3, "topk-softmax")]   // k = n: soft mixture of every expert
    [InlineData(1, "topk-softmax")]   // top-1: gate 1
    public void Merge_IdenticalCopiesWithGatesSummingToOne_GivesTheDenseLogits(int topK, string normalize)
    {
        var dense = Tiny.Dense(5);
        var request = new MergeRequest(dense, [.. Domains.Select(d => new ExpertSource(d, dense, null))], Tiny.Moe(topK) with
        {
            RouterOptions = new System.Text.Json.Nodes.JsonObject { ["Normalize"] = normalize, ["InitStd"] = 1.0 },
        });
        var moe = Tiny.Model(Tiny.WithRouters(new BtxStrategy().Merge(request)));
        var reference = Tiny.Model(dense);
        Assert.True(Tiny.MaxAbsDiff(Tiny.Logits(reference), Tiny.Logits(moe)) <= 2e-5);
    }

    [Fact]
    public void Merge_MappedCheckpoints_GiveTheSameTensorsAsInMemoryOnes()
    {
        using var dir = new TempDir();
        var seed = Tiny.Dense(1);
        var experts = new[] { Tiny.Dense(2), Tiny.Dense(3) };
        CheckpointStore.Save(dir.Combine("seed"), seed);
        for (int j = 0; j < 2; j++) CheckpointStore.Save(dir.Combine(Domains[j]), experts[j]);
        using var s = MappedCheckpoint.Open(dir.Combine("seed"));
        using var a = MappedCheckpoint.Open(dir.Combine("code"));
        using var b = MappedCheckpoint.Open(dir.Combine("law"));
        Assert.IsAssignableFrom<ILazyTensorMap>(a.Checkpoint.Tensors);
        var mapped = new BtxStrategy().Merge(new MergeRequest(s.Checkpoint, [new("code", a.Checkpoint, null), new("law", b.Checkpoint, null)], Tiny.Moe()));
        var memory = new BtxStrategy().Merge(new MergeRequest(seed, [new("code", experts[0], null), new("law", experts[1], null)], Tiny.Moe()));
        Assert.Equal(memory.Tensors.Keys.Order(), mapped.Tensors.Keys.Order());
        foreach (var (name, t) in memory.Tensors) Assert.True(Tiny.Same(t, mapped.Tensors[name]), name);
    }
}
