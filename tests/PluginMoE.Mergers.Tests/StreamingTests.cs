// Merge results are computed when read (ILazyTensorMap): shapes and types come without data, each tensor is computed
// from the inputs on its own (so Drop-Upcycling gives the same tensors in any order), and CheckpointStore streams them
// into the file one at a time, producing each exactly once.
using PluginMoE.Abstractions.Checkpoints;
using PluginMoE.Abstractions.Merging;
using PluginMoE.Core.Checkpoints;
using PluginMoE.Plugins.Mergers;
using PluginMoE.Tensors;

namespace PluginMoE.Mergers.Tests;

public sealed class StreamingTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void Btx_ResultIsLazy_WithShapesAndTypesWithoutData()
    {
        var merged = new BtxStrategy().Merge(new MergeRequest(Tiny.Dense(1), [new("a", Tiny.Dense(2), null), new("b", Tiny.Dense(3), null)], Tiny.Moe()));
        var lazy = Assert.IsAssignableFrom<ILazyTensorMap>(merged.Tensors);
        foreach (var name in merged.Tensors.Keys)
        {
            var t = merged.Tensors[name];
            Assert.Equal(t.shape, lazy.ShapeOf(name));
            Assert.Equal(t.dtype, lazy.DTypeOf(name));
            Assert.True(Tiny.Same(t, merged.Tensors[name]), name); // computed again, the same values
        }
    }

    [Fact]
    public void DropUpcycling_GivesTheSameTensorsInAnyReadingOrder()
    {
        SparseUpcycleOptions options = new() { DropFraction = 0.5, Seed = 4 };
        ModelCheckpoint Merge() => new SparseUpcycleStrategy().Merge(new MergeRequest(Tiny.Dense(1), [], Tiny.Moe() with { NumExperts = 3 }) { Options = options });
        var forward = Merge().Tensors.ToDictionary(kv => kv.Key, kv => kv.Value);
        var backward = Merge();
        foreach (var name in backward.Tensors.Keys.Reverse())
            Assert.True(Tiny.Same(forward[name], backward.Tensors[name]), name);
        Assert.False(Tiny.Same(forward[CanonicalNames.Expert(0, 0) + "up_proj.weight"], forward[CanonicalNames.Expert(0, 1) + "up_proj.weight"]));
    }

    [Fact]
    public void CheckpointStore_StreamsALazyMap_ProducingEachTensorOnce()
    {
        var merged = new AverageStrategy().Merge(new MergeRequest(Tiny.Dense(1), [new("a", Tiny.Dense(2), null), new("b", Tiny.Dense(3), null)], Tiny.Moe()));
        var counting = new CountingMap((ILazyTensorMap)merged.Tensors);
        var dir = Path.Combine(_dir.Path, "avg");
        CheckpointStore.Save(dir, merged with { Tensors = counting });
        Assert.All(counting.Reads, kv => Assert.Equal(1, kv.Value));
        Assert.Equal(merged.Tensors.Count, counting.Reads.Count);
        var back = CheckpointStore.Load(dir);
        foreach (var name in merged.Tensors.Keys) Assert.True(Tiny.Same(merged.Tensors[name], back.Tensors[name]), name);
    }

    /// <summary>A lazy map that counts how often each tensor's data are read.</summary>
    private sealed class CountingMap(ILazyTensorMap inner) : ILazyTensorMap
    {
        public Dictionary<string, int> Reads { get; } = [];

        public string Source => inner.Source;
        public long[] ShapeOf(string name) => inner.ShapeOf(name);
        public ScalarType DTypeOf(string name) => inner.DTypeOf(name);

        public Tensor this[string key]
        {
            get
            {
                Reads[key] = Reads.GetValueOrDefault(key) + 1;
                return inner[key];
            }
        }

        public IEnumerable<string> Keys => inner.Keys;
        public IEnumerable<Tensor> Values => Keys.Select(k => this[k]);
        public int Count => inner.Count;
        public bool ContainsKey(string key) => inner.ContainsKey(key);

        public bool TryGetValue(string key, [System.Diagnostics.CodeAnalysis.MaybeNullWhen(false)] out Tensor value)
        {
            if (!inner.ContainsKey(key)) { value = null!; return false; }
            value = this[key];
            return true;
        }

        public IEnumerator<KeyValuePair<string, Tensor>> GetEnumerator() => Keys.Select(k => KeyValuePair.Create(k, this[k])).GetEnumerator();
        System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
    }
}
