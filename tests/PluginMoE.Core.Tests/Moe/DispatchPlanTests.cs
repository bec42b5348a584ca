// DispatchPlan's counting sort against a stable sort by expert written out here (several sizes in a row, so buffers
// rented for a larger call are reused by smaller ones), and its host-side allocation per call (index lists are rented,
// the index tensors pooled: at MH-MoE's sub-token count it used to allocate five N*k int64 arrays per call).
using PluginMoE.Abstractions.Experts;
using PluginMoE.Core.Moe;
using PluginMoE.Plugins.Experts;
using PluginMoE.Tensors;
using static PluginMoE.Tensors.torch;

namespace PluginMoE.Core.Tests.Moe;

public class DispatchPlanTests
{
    private static List<IExpert> SwiGluExperts(int n, int dim, int hidden, Generator g) =>
        [.. Enumerable.Range(0, n).Select(_ => (IExpert)new SwiGluExpertFactory().Create(new ExpertSpec(dim, hidden) { Generator = g, DType = ScalarType.Float32 }))];

    [Fact]
    public void Create_SortsSlotsStablyByExpert_AcrossCallsOfShrinkingSize()
    {
        var g = new Generator(3);
        var experts = SwiGluExperts(6, 4, 8, g);
        foreach (var (tokens, k) in new[] { (700, 2), (33, 3), (5, 1), (260, 2) })
        {
            var indices = randint(0, 6, [tokens, k], generator: g);
            var plan = DispatchPlan.Create(indices, experts, grouped: true, Device.CPU);

            var ids = indices.reshape(-1).data<long>();
            var expectedSlots = Enumerable.Range(0, ids.Length).OrderBy(s => ids[s]).ThenBy(s => s).Select(s => (long)s).ToArray(); // stable by expert
            Assert.Equal(expectedSlots, plan.Slot.data<long>());
            Assert.Equal(expectedSlots.Select(s => s / k), plan.Token.data<long>());
            Assert.Equal(Enumerable.Range(0, 6).Select(e => (long)ids.Count(id => id == e)), plan.ExpertCounts);
        }
    }

    [Fact]
    public void Create_AtSubTokenScale_AllocatesNoIndexArraysPerCall()
    {
        var g = new Generator(4);
        var experts = SwiGluExperts(8, 4, 8, g);
        var indices = randint(0, 8, [8192, 2], generator: g); // small model under multi-head routing: N*h = 8192 sub-tokens, top-2
        using (NewDisposeScope()) DispatchPlan.Create(indices, experts, grouped: true, Device.CPU); // warm: pool, rented arrays, JIT
        long before = GC.GetAllocatedBytesForCurrentThread();
        using (NewDisposeScope()) DispatchPlan.Create(indices, experts, grouped: true, Device.CPU);
        long bytes = GC.GetAllocatedBytesForCurrentThread() - before;
        // One N*k int64 list is 131 KB; the old code allocated five (655 KB). Left: counts, segments, tensor objects, and at
        // most the two index tensors' storage if the pool misses (another test took the buffers).
        Assert.True(bytes < 300_000, $"DispatchPlan.Create allocated {bytes} bytes for 16384 slots");
    }
}
