// Tests for the blocked, multi-threaded reductions of long rows (full sum, max/min, argmax): results bitwise equal
// for any thread count, sums at least as accurate as one vectorised pass (checked against float64), and the same
// max/min/argmax as a single pass over the row (first NaN wins, first occurrence on ties, +0 above -0).
using System.Numerics.Tensors;
using PluginMoE.Tensors.Backends;

namespace PluginMoE.Tensors.Tests.Ops;

public class BlockedReductionTests
{
    private const int Block = CpuBackend.ReduceBlock;

    /// <summary>Lengths around the block size and several blocks with a partial last one.</summary>
    private static readonly int[] Lengths = [Block - 1, Block, Block + 1, 2 * Block + 3, 7 * Block + 1001];

    private static T With<T>(int threads, Func<T> f)
    {
        using (ParallelFor.WithThreads(threads)) return f();
    }

    [Fact]
    public void Sum_of_long_rows_is_bitwise_equal_for_1_to_4_threads()
    {
        var g = new Generator(5);
        foreach (int n in Lengths)
        {
            var x = torch.randn([n], ScalarType.Float32, g);
            var rows = torch.randn([3, n], ScalarType.Float64, g);
            float one = With(1, () => x.sum().item<float>());
            var oneRows = With(1, () => rows.sum(1).data<double>());
            for (int t = 2; t <= 4; t++)
            {
                Assert.Equal(BitConverter.SingleToInt32Bits(one), BitConverter.SingleToInt32Bits(With(t, () => x.sum().item<float>())));
                Assert.Equal(oneRows, With(t, () => rows.sum(1).data<double>()));
                Assert.Equal(With(1, () => x.mean().item<float>()), With(t, () => x.mean().item<float>()));
            }
        }
    }

    [Fact]
    public void Blocked_sum_is_at_least_as_accurate_as_one_vectorised_pass()
    {
        // Positive values: the error of a running sum grows with the length, so a blocked pairwise sum must win.
        const int n = 1 << 22;
        var x = torch.rand([n], ScalarType.Float32, new Generator(6));
        var v = x.data<float>();
        double exact = 0;
        foreach (var e in v) exact += e;
        float onePass = TensorPrimitives.Sum<float>(v); // the kernel before blocking
        float blocked = x.sum().item<float>();
        double errOld = Math.Abs(onePass - exact), errNew = Math.Abs(blocked - exact);
        Assert.True(errNew <= errOld, $"blocked sum error {errNew} exceeds one pass {errOld}");
        Assert.True(errNew <= 1e-6 * exact, $"blocked sum {blocked} vs float64 {exact}");
    }

    [Fact]
    public void Sum_of_long_rows_matches_float64_and_exact_integers()
    {
        var g = new Generator(7);
        foreach (int n in Lengths)
        {
            var x = torch.randn([2, n], ScalarType.Float64, g);
            var v = x.data<double>();
            var s = x.sum(1).data<double>();
            for (int r = 0; r < 2; r++)
            {
                double exact = 0;
                for (int i = 0; i < n; i++) exact += v[r * n + i];
                Assert.Equal(exact, s[r], 1e-9);
            }
            var ints = torch.arange(0, n, 1, ScalarType.Int64);
            Assert.Equal((long)n * (n - 1) / 2, ints.sum().item<long>());
        }
    }

    [Fact]
    public void Sum_of_a_non_contiguous_view_and_of_empty_and_0d_tensors()
    {
        var g = new Generator(8);
        var big = torch.randn([3 * Block + 7, 2], ScalarType.Float64, g);
        var col = big.select(1, 1); // stride 2: copied, then blocked
        var expected = col.contiguous().data<double>().Sum();
        Assert.Equal(expected, col.sum().item<double>(), 1e-9);
        Assert.Equal(0f, torch.zeros([0]).sum().item<float>());
        Assert.Equal(2.5f, torch.scalar_tensor(2.5).sum().item<float>());
    }

    [Fact]
    public void Max_min_and_argmax_of_long_rows_match_one_pass_over_the_row()
    {
        var g = new Generator(9);
        foreach (int n in Lengths)
        {
            var v = torch.randn([n], ScalarType.Float32, g).data<float>();
            // The maximum twice, in different blocks: the first index wins.
            float top = 100f;
            v[n / 3] = top;
            v[n - 1] = top;
            var x = torch.tensor(v);
            for (int t = 1; t <= 3; t++)
            {
                using var _ = ParallelFor.WithThreads(t);
                Assert.Equal(top, x.max().item<float>());
                Assert.Equal(TensorPrimitives.Min<float>(v), x.min().item<float>());
                Assert.Equal(TensorPrimitives.IndexOfMax<float>(v), (int)x.argmax().item<long>());
                Assert.Equal(TensorPrimitives.IndexOfMin<float>(v), (int)x.argmin().item<long>());
                var (mv, mi) = x.max(0);
                Assert.Equal(top, mv.item<float>());
                Assert.Equal(n / 3, (int)mi.item<long>());
            }
        }
    }

    [Fact]
    public void Long_row_max_keeps_the_first_NaN_and_ranks_positive_zero_above_negative_zero()
    {
        int n = 3 * Block + 11;
        var v = new float[n];
        Array.Fill(v, -1f);
        v[5] = -0f;             // block 0
        v[Block + 2] = 0f;      // block 1: +0 beats -0
        Assert.Equal(Block + 2, (int)torch.tensor(v).argmax().item<long>());
        Assert.Equal(TensorPrimitives.IndexOfMax<float>(v), (int)torch.tensor(v).argmax().item<long>());
        v[2 * Block + 1] = float.NaN;
        v[3 * Block + 1] = float.NaN;
        var x = torch.tensor(v);
        Assert.True(float.IsNaN(x.max().item<float>()));
        Assert.True(float.IsNaN(x.amin([0]).item<float>()));
        Assert.Equal(2 * Block + 1, (int)x.argmax().item<long>());
        Assert.Equal(2 * Block + 1, (int)x.argmin().item<long>());
    }
}
