// Tests for the float32 vector exp/sigmoid (VectorMath): ulp error against float64 Math.Exp over a dense sweep of every
// finite float32 (about 4 million values), the edge cases (infinities, NaN, overflow, underflow, subnormal results, -0),
// bitwise equality of the Vector512, Vector256, Vector128 and scalar paths, and the span entry points.
using System.Runtime.Intrinsics;
using PluginMoE.Tensors.Backends;

namespace PluginMoE.Tensors.Tests.Backends;

public class VectorMathTests
{
    private const float MinNormal = 1.17549435e-38f;   // 2^-126

    /// <summary>Every 1021st float32 bit pattern of both signs, finite only, plus a few exact points.</summary>
    private static float[] Sweep()
    {
        var list = new List<float>(4_300_000);
        for (long b = 0; b <= 0x7F7FFFFF; b += 1021)
        {
            float v = BitConverter.Int32BitsToSingle((int)b);
            list.Add(v);
            list.Add(-v);
        }
        list.AddRange([0f, -0f, 1f, -1f, 88.72283f, 88.72284f, -87.33654f, -103.27893f, -103.97208f, float.MaxValue, float.MinValue]);
        return list.ToArray();
    }

    /// <summary>|y - exact| in units of the float32 spacing at the correctly rounded exact value (2^-149 below the normals).</summary>
    private static double Ulps(float y, double exact)
    {
        float rounded = (float)exact;
        if (float.IsInfinity(rounded)) return float.IsPositiveInfinity(y) ? 0 : double.PositiveInfinity;
        if (float.IsInfinity(y) || float.IsNaN(y)) return double.PositiveInfinity;
        double a = Math.Abs((double)rounded);
        double ulp = a < MinNormal ? Math.Pow(2, -149) : Math.Pow(2, Math.ILogB(a) - 23);
        return Math.Abs(y - exact) / ulp;
    }

    [Fact]
    public void Exp_IsWithinOneUlpOfFloat64_OverTheWholeFloat32Range()
    {
        var x = Sweep();
        var y = new float[x.Length];
        VectorMath.Exp(x, y);
        double worst = 0;
        float at = 0;
        for (int i = 0; i < x.Length; i++)
        {
            double e = Ulps(y[i], Math.Exp(x[i]));
            if (e > worst) (worst, at) = (e, x[i]);
        }
        Assert.True(worst <= 1.0, $"exp: max error {worst:F3} ulp at x = {at:R}");
    }

    [Fact]
    public void Sigmoid_IsWithinTwoAndAHalfUlpsOfFloat64_OverTheWholeFloat32Range()
    {
        var x = Sweep();
        var y = new float[x.Length];
        VectorMath.Sigmoid(x, y);
        double worst = 0;
        float at = 0;
        for (int i = 0; i < x.Length; i++)
        {
            double e = Ulps(y[i], 1.0 / (1.0 + Math.Exp(-(double)x[i])));
            if (e > worst) (worst, at) = (e, x[i]);
        }
        Assert.True(worst <= 2.5, $"sigmoid: max error {worst:F3} ulp at x = {at:R}");
    }

    [Theory]
    [InlineData(float.NegativeInfinity, 0f)]
    [InlineData(float.PositiveInfinity, float.PositiveInfinity)]
    [InlineData(89f, float.PositiveInfinity)]
    [InlineData(88.7229f, float.PositiveInfinity)]
    [InlineData(1000f, float.PositiveInfinity)]
    [InlineData(float.MaxValue, float.PositiveInfinity)]
    [InlineData(-104f, 0f)]
    [InlineData(-1000f, 0f)]
    [InlineData(float.MinValue, 0f)]
    [InlineData(0f, 1f)]
    public void Exp_EdgeCases(float x, float expected)
    {
        Assert.Equal(expected, VectorMath.Exp(x));
        Assert.Equal(expected, VectorMath.Exp(Vector512.Create(x)).GetElement(3));
        Assert.Equal(expected, VectorMath.Exp(Vector256.Create(x)).GetElement(5));
    }

    [Fact]
    public void Exp_NaN_StaysNaN_AndSubnormalResultsAreKept()
    {
        Assert.True(float.IsNaN(VectorMath.Exp(float.NaN)));
        Assert.True(float.IsNaN(VectorMath.Exp(Vector512.Create(float.NaN)).GetElement(0)));
        Assert.True(float.IsNaN(VectorMath.Sigmoid(float.NaN)));
        Assert.True(float.IsNaN(VectorMath.Sigmoid(Vector256.Create(float.NaN)).GetElement(0)));
        // Largest finite result, and results down to the smallest subnormal 2^-149.
        Assert.Equal((float)Math.Exp(88.72283f), VectorMath.Exp(88.72283f));
        foreach (float x in new[] { -88f, -95f, -100f, -103f, -103.27f })
        {
            float y = VectorMath.Exp(x);
            Assert.True(y > 0 && y < MinNormal, $"exp({x}) = {y:R} should be subnormal");
            Assert.True(Ulps(y, Math.Exp(x)) <= 1.0, $"exp({x}) = {y:R}, float64 {Math.Exp(x):R}");
        }
        Assert.Equal(0f, VectorMath.Sigmoid(float.NegativeInfinity));
        Assert.Equal(1f, VectorMath.Sigmoid(float.PositiveInfinity));
        Assert.Equal(0.5f, VectorMath.Sigmoid(-0f));
        Assert.Equal(1f, VectorMath.Exp(-0f));
        float tail = VectorMath.Sigmoid(-100f);                                         // exp(-100): subnormal, not 0
        Assert.True(tail > 0 && Ulps(tail, 1 / (1 + Math.Exp(100.0))) <= 2.0, $"sigmoid(-100) = {tail:R}");
    }

    [Fact]
    public void Vector512_Vector256_Vector128_AndScalarPaths_AreBitwiseEqual()
    {
        var rng = new System.Random(12);
        var x = new float[4096 + 64];
        for (int i = 0; i < 4096; i++) x[i] = (float)((rng.NextDouble() - 0.5) * 240);  // past both ends of the range
        float[] special = [float.NaN, float.PositiveInfinity, float.NegativeInfinity, -0f, 0f, 88.72283f, 88.72284f, -103.9f,
            -104f, -87.3f, 1e-30f, -1e-30f, float.Epsilon, -float.Epsilon, 0.34657359f, -0.34657359f];
        for (int i = 0; i < 64; i++) x[4096 + i] = special[i % special.Length];
        for (int i = 0; i < x.Length; i += 16)
        {
            var v512 = Vector512.Create(x.AsSpan(i, 16));
            var e512 = VectorMath.Exp(v512);
            var s512 = VectorMath.Sigmoid(v512);
            var e256 = Vector512.Create(VectorMath.Exp(Vector256.Create(x.AsSpan(i, 8))), VectorMath.Exp(Vector256.Create(x.AsSpan(i + 8, 8))));
            var s256 = Vector512.Create(VectorMath.Sigmoid(Vector256.Create(x.AsSpan(i, 8))), VectorMath.Sigmoid(Vector256.Create(x.AsSpan(i + 8, 8))));
            var e128 = new float[16];
            var s128 = new float[16];
            for (int q = 0; q < 16; q += 4)
            {
                VectorMath.Exp(Vector128.Create(x.AsSpan(i + q, 4))).CopyTo(e128, q);
                VectorMath.Sigmoid(Vector128.Create(x.AsSpan(i + q, 4))).CopyTo(s128, q);
            }
            for (int j = 0; j < 16; j++)
            {
                int b = BitConverter.SingleToInt32Bits(VectorMath.Exp(x[i + j]));
                Assert.Equal(b, BitConverter.SingleToInt32Bits(e512.GetElement(j)));
                Assert.Equal(b, BitConverter.SingleToInt32Bits(e256.GetElement(j)));
                Assert.Equal(b, BitConverter.SingleToInt32Bits(e128[j]));
                int s = BitConverter.SingleToInt32Bits(VectorMath.Sigmoid(x[i + j]));
                Assert.Equal(s, BitConverter.SingleToInt32Bits(s512.GetElement(j)));
                Assert.Equal(s, BitConverter.SingleToInt32Bits(s256.GetElement(j)));
                Assert.Equal(s, BitConverter.SingleToInt32Bits(s128[j]));
            }
        }
    }

    [Fact]
    public void Spans_WorkInPlace_HandleTails_AndRouteFloat64ToTensorPrimitives()
    {
        var x = new float[37];
        for (int i = 0; i < x.Length; i++) x[i] = i * 0.7f - 12f;
        var y = new float[37];
        VectorMath.Exp(x, y);
        var inPlace = (float[])x.Clone();
        VectorMath.Exp<float>(inPlace, inPlace);
        Assert.Equal(y, inPlace);
        for (int i = 0; i < x.Length; i++) Assert.Equal(VectorMath.Exp(x[i]), y[i]);   // 16 + 16 + 5 scalar tail

        var d = new double[] { -3, 0.5, 2 };
        var dy = new double[3];
        VectorMath.Exp<double>(d, dy);
        for (int i = 0; i < 3; i++) Assert.Equal(Math.Exp(d[i]), dy[i], 1e-14);
        VectorMath.Sigmoid<double>(d, dy);
        for (int i = 0; i < 3; i++) Assert.Equal(1 / (1 + Math.Exp(-d[i])), dy[i], 1e-15);
    }

    [Fact]
    public void Spans_RejectAShortDestination()
    {
        var ex = Assert.Throws<ArgumentException>(() => VectorMath.Exp(new float[4], new float[3]));
        Assert.StartsWith("exp: destination has 3 elements, source 4", ex.Message);
        ex = Assert.Throws<ArgumentException>(() => VectorMath.Sigmoid(new float[4], new float[3]));
        Assert.StartsWith("sigmoid: destination has 3 elements, source 4", ex.Message);
    }
}
