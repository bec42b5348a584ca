// average (plain and weighted) and sparse-upcycle (plain copies, and Drop-Upcycling's partial re-initialisation).
using PluginMoE.Abstractions.Checkpoints;
using PluginMoE.Abstractions.Merging;
using PluginMoE.Plugins.Mergers;
using PluginMoE.Tensors;

namespace PluginMoE.Mergers.Tests;

public sealed class AverageAndUpcycleTests
{
    [Fact]
    public void Average_Weighted_EqualsTheHandAverageAndIsDense()
    {
        var a = Tiny.Dense(2);
        var b = Tiny.Dense(3);
        var merged = new AverageStrategy().Merge(new MergeRequest(Tiny.Dense(1), [new("a", a, null), new("b", b, null)], Tiny.Moe())
        {
            Options = new AverageOptions { Weights = [1, 3] },
        });
        Assert.Null(merged.Config.Moe);
        Assert.Equal(a.Tensors.Keys.Order(), merged.Tensors.Keys.Order());
        foreach (var name in a.Tensors.Keys)
        {
            var hand = a.Tensors[name].to(ScalarType.Float64) * 0.25 + b.Tensors[name].to(ScalarType.Float64) * 0.75;
            Assert.True(Tiny.MaxAbsDiff(hand, merged.Tensors[name]) <= 1e-7, name);
        }
    }

    [Fact]
    public void Average_WrongNumberOfWeights_FailsNamingTheModels()
    {
        var request = new MergeRequest(Tiny.Dense(1), [new("a", Tiny.Dense(2), null), new("b", Tiny.Dense(3), null)], Tiny.Moe()) { Options = new AverageOptions { Weights = [1] } };
        var e = Assert.Throws<ArgumentException>(() => new AverageStrategy().Merge(request));
        Assert.Contains("Weights has 1 values but 2 models are averaged (expert 'a', expert 'b'); give one weight per model", e.Message);
    }

    [Fact]
    public void SparseUpcycle_WithoutDrop_CopiesTheFfnIntoEveryExpert()
    {
        var seed = Tiny.Dense(1);
        var merged = new SparseUpcycleStrategy().Merge(new MergeRequest(seed, [], Tiny.Moe() with { NumExperts = 4 }));
        Assert.Equal(4, merged.Config.Moe!.NumExperts);
        for (int j = 0; j < 4; j++)
            Assert.True(Tiny.Same(seed.Tensors["model.layers.1.mlp.gate_proj.weight"], merged.Tensors[CanonicalNames.Expert(1, j) + "gate_proj.weight"]));
        Assert.True(Tiny.Same(seed.Tensors["model.embed_tokens.weight"], merged.Tensors["model.embed_tokens.weight"]));
    }

    [Fact]
    public void SparseUpcycle_DropFraction_ReinitialisesExactlyThatShareOfInnerUnitsPerExpert()
    {
        var seed = Tiny.Dense(1);
        var merged = new SparseUpcycleStrategy().Merge(new MergeRequest(seed, [], Tiny.Moe() with { NumExperts = 3 })
        {
            Options = new SparseUpcycleOptions { DropFraction = 0.5, Seed = 4 },
        });
        int f = Tiny.Config.IntermediateSize;
        var changedSets = new List<string>();
        for (int j = 0; j < 3; j++)
        {
            var p = CanonicalNames.Expert(0, j);
            var gate = Changed(seed.Tensors["model.layers.0.mlp.gate_proj.weight"], merged.Tensors[p + "gate_proj.weight"], dim: 1);
            var up = Changed(seed.Tensors["model.layers.0.mlp.up_proj.weight"], merged.Tensors[p + "up_proj.weight"], dim: 1);
            var down = Changed(seed.Tensors["model.layers.0.mlp.down_proj.weight"], merged.Tensors[p + "down_proj.weight"], dim: 0);
            Assert.Equal(f / 2, gate.Count);                                       // rows of gate/up, columns of down: the same units
            Assert.Equal(gate, up);
            Assert.Equal(gate, down);
            changedSets.Add(string.Join(",", gate));
        }
        Assert.Equal(3, changedSets.Distinct().Count());                           // each expert drops its own units
    }

    /// <summary>Indices along the inner dimension where any element differs (reduce over <paramref name="dim"/>).</summary>
    private static List<long> Changed(Tensor a, Tensor b, int dim)
    {
        var diff = (a - b).abs().amax([dim]).data<float>();
        return [.. Enumerable.Range(0, diff.Length).Where(i => diff[i] != 0).Select(i => (long)i)];
    }
}
