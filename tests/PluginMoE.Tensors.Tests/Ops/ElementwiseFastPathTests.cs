// Tests for the element-wise fast paths (same shape, one-element operand, contiguous broadcast row) against a
// float64 oracle evaluated per output element through explicit broadcast indexing: every operand position, views,
// 0-d and empty tensors, and sizes around the vector width and the threading grain.
using PluginMoE.Tensors.Backends;

namespace PluginMoE.Tensors.Tests.Ops;

public class ElementwiseFastPathTests
{
    private const int Grain = 1 << 15; // CpuBackend.ElementwiseGrain: elements per thread before a loop is split

    private static readonly string[] Ops = ["add", "sub", "mul", "div", "maximum", "minimum"];

    private static Tensor Apply(string op, Tensor a, Tensor b) => op switch
    {
        "add" => a.add(b),
        "sub" => a.sub(b),
        "mul" => a.mul(b),
        "div" => a.div(b),
        "maximum" => torch.maximum(a, b),
        _ => torch.minimum(a, b),
    };

    private static double Oracle(string op, double x, double y) => op switch
    {
        "add" => x + y,
        "sub" => x - y,
        "mul" => x * y,
        "div" => x / y,
        "maximum" => Math.Max(x, y),
        _ => Math.Min(x, y),
    };

    /// <summary>Element (row-major index <paramref name="flat"/> of <paramref name="outSizes"/>) of an operand of <paramref name="sizes"/> broadcast.</summary>
    private static double At(double[] values, long[] sizes, long[] outSizes, long flat)
    {
        long idx = 0, stride = 1;
        for (int d = outSizes.Length - 1, e = sizes.Length - 1; d >= 0; d--, e--)
        {
            long i = flat % outSizes[d];
            flat /= outSizes[d];
            if (e < 0) continue;
            if (sizes[e] != 1) idx += i * stride;
            stride *= sizes[e];
        }
        return values[idx];
    }

    /// <summary>Float32 result equals the float64 operation rounded to float32 (exact for + - * /, max, min).</summary>
    private static void Check(string op, Tensor a, Tensor b)
    {
        var r = Apply(op, a, b);
        var outSizes = r.shape;
        var av = a.contiguous().to(ScalarType.Float64).data<double>();
        var bv = b.contiguous().to(ScalarType.Float64).data<double>();
        var got = r.data<float>();
        Assert.Equal(outSizes.Aggregate(1L, (x, y) => x * y), got.Length);
        for (long i = 0; i < got.Length; i++)
        {
            float expected = (float)Oracle(op, At(av, a.shape, outSizes, i), At(bv, b.shape, outSizes, i));
            if (got[i] != expected)
                Assert.Fail($"{op} {Shape.Format(Shape.FromLong(a.shape))} with {Shape.Format(Shape.FromLong(b.shape))}: element {i} is {got[i]}, expected {expected}");
        }
    }

    private static Tensor R(Generator g, params long[] shape) => torch.randn(shape, ScalarType.Float32, g).add(0.1);

    [Fact]
    public void Scalar_operands_on_either_side_match_float64_around_the_threading_grain()
    {
        var g = new Generator(21);
        foreach (int n in new[] { 1, 15, 17, Grain - 1, Grain, 2 * Grain + 3 })
        {
            var x = R(g, n);
            foreach (var op in Ops)
            {
                Check(op, x, torch.scalar_tensor(1.75));    // 0-d on the right
                Check(op, torch.scalar_tensor(-0.5), x);    // 0-d on the left
                Check(op, x, R(g, 1));                      // one-element 1-d
                Check(op, R(g, 1, 1), x.reshape(1, n));     // one-element 2-d, broadcast both ways
            }
            Assert.Equal(x.mul(2.0).data<float>(), x.data<float>().Select(v => v * 2f).ToArray()); // the scalar forms
            Assert.Equal(x.sub(3.0).data<float>(), x.data<float>().Select(v => v - 3f).ToArray());
        }
    }

    [Fact]
    public void Broadcast_rows_in_every_position_match_float64()
    {
        var g = new Generator(22);
        foreach (var (rows, cols) in new[] { (3, 16), (5, 17), (7, 64), (Grain / 64 + 1, 64), (2, 2 * Grain + 1) })
        {
            var full = R(g, rows, cols);
            var row = R(g, cols);
            foreach (var op in Ops)
            {
                Check(op, full, row);
                Check(op, row, full);
                Check(op, full, row.reshape(1, cols));
                Check(op, row.reshape(1, 1, cols), full);
                Check(op, full.reshape(1, rows, cols), row);
            }
        }
        // A (rows, cols) block broadcast over a leading batch dim, and short rows (general path).
        var x3 = R(g, 4, 5, 24);
        var m = R(g, 5, 24);
        foreach (var op in Ops)
        {
            Check(op, x3, m);
            Check(op, m, x3);
            Check(op, R(g, 9, 3), R(g, 3));
            Check(op, R(g, 6, 1), R(g, 6, 40)); // a column: general path
        }
    }

    [Fact]
    public void Views_empty_and_0d_tensors_keep_their_results()
    {
        var g = new Generator(23);
        var t = R(g, 40, 33).t();         // non-contiguous, (33, 40)
        var row = R(g, 80).slice(0, 0, 80, 2); // strided row of 40
        foreach (var op in Ops)
        {
            Check(op, t, row);
            Check(op, row, t);
            Check(op, t, torch.scalar_tensor(2.0));
            Check(op, t, R(g, 33, 40).t().t());
        }
        Assert.Equal(new long[] { 0, 5 }, torch.zeros([0, 5]).add(torch.ones([5])).shape);
        Assert.Empty(torch.zeros([0]).mul(torch.scalar_tensor(3.0)).data<float>());
        Assert.Equal(7f, torch.scalar_tensor(3.0).add(torch.scalar_tensor(4.0)).item<float>());
        Assert.Empty(torch.scalar_tensor(3.0).add(torch.zeros([0])).data<float>());
    }

    [Fact]
    public void Fast_paths_are_bitwise_equal_for_any_thread_count_and_keep_gradients()
    {
        var g = new Generator(24);
        var x = R(g, 3, Grain + 5);
        var b = R(g, Grain + 5);
        float[] one;
        using (ParallelFor.WithThreads(1)) one = x.mul(b).add(2.0).data<float>();
        using (ParallelFor.WithThreads(3)) Assert.Equal(one, x.mul(b).add(2.0).data<float>());

        var a = torch.randn([4, 20], ScalarType.Float64, g).requires_grad_();
        var bias = torch.randn([20], ScalarType.Float64, g).requires_grad_();
        GradCheck.Check(inputs => inputs[0].mul(inputs[1]).sub(inputs[1]).div(3.0).sum(), [a, bias]);
    }
}
