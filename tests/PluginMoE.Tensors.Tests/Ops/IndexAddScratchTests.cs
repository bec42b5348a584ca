// index_add along dim 0 (the MoE combine's scatter-add back to the tokens): its counting sort of the source rows uses
// rented buffers, so a call allocates no arrays of the index's length; values stay those of a plain loop.
using static PluginMoE.Tensors.torch;

namespace PluginMoE.Tensors.Tests.Ops;

public class IndexAddScratchTests
{
    [Fact]
    public void IndexAdd_RowsOfOneColumn_SumsInIndexOrder_AndAllocatesNoSortBuffers()
    {
        const int n = 8192, m = 16384;
        var g = new Generator(5);
        var index = randint(0, n, [m], generator: g);
        var source = randn([m, 1], ScalarType.Float32, g);
        var self = zeros([n, 1], ScalarType.Float32);

        var expected = new float[n];
        var idx = index.data<long>();
        var src = source.data<float>();
        for (int j = 0; j < m; j++) expected[idx[j]] += src[j];
        Assert.Equal(expected, self.index_add(0, index, source).data<float>()); // warm-up call too

        long before = GC.GetAllocatedBytesForCurrentThread();
        using (NewDisposeScope()) self.index_add(0, index, source);
        long bytes = GC.GetAllocatedBytesForCurrentThread() - before;
        // The sort buffers were (n + 1) + (n + 1) + m ints = 128 KB per call; the 32 KB output may still come fresh if the pool misses.
        Assert.True(bytes < 48_000, $"index_add allocated {bytes} bytes");
    }
}
