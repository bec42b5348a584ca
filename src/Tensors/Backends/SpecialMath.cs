// Scalar special functions the element-wise kernels need: erf/erfc (Chebyshev fit of log(erfc(z)/t) + z^2,
// t = 2/(2+z), the change of variable of Numerical Recipes §6.2.2), the normal CDF, and accurate log1p/expm1.
using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace PluginMoE.Tensors.Backends;

/// <summary>Error function, normal CDF/PDF and accurate log1p/expm1, computed in float64.</summary>
internal static class SpecialMath
{
    /// <summary>1/sqrt(2).</summary>
    public const double InvSqrt2 = 0.70710678118654752440;

    /// <summary>1/sqrt(2*pi).</summary>
    public const double InvSqrt2Pi = 0.39894228040143267794;

    /// <summary>2/sqrt(pi).</summary>
    public const double TwoOverSqrtPi = 1.12837916709551257390;

    // Taylor coefficients of erf(x)/x in powers of x^2: (2/sqrt(pi)) (-1)^n / (n! (2n+1)). Used for |x| < 0.5,
    // where 13 terms reach 1e-18 relative.
    private static readonly double[] ErfTaylor = BuildErfTaylor(13);

    // Chebyshev coefficients (c0 already halved) of g(t) = log(erfc(z)/t) + z^2 on t in [2/29, 1] (z in [0, 27]),
    // interpolated at 48 Chebyshev nodes with mpmath (50 digits) and truncated where |c_k| < 1e-18:
    //   g = lambda t: mp.log(mp.erfc(2/t-2)/t) + (2/t-2)**2;  c_k = 2/N sum_j g(t_j) cos(pi k (j+1/2)/N)
    private static readonly double[] ErfcCheb =
    [
        -0.6107401523665623, 0.6053584463434446, 0.013897604733136882, -0.008264970081573859,
        -0.0005419707831843666, 0.0002885732989564137, 1.5644867979424932e-05, -1.3803272977493721e-05,
        -4.201553336550956e-09, 7.160979147372823e-07, -5.773887132809878e-08, -3.4360012150176435e-08,
        6.758373460891226e-09, 1.2157203904822408e-09, -5.347830733319805e-10, -2.1216282970843773e-12,
        3.115547558594e-11, -4.3065328406799665e-12, -1.1301154020826776e-12, 4.1786520617828856e-13,
        -5.704280895536428e-15, -2.1553652146136072e-14, 4.128737251272803e-15, 3.214908653442537e-16,
        -2.6516337783238076e-16, 4.1697720822469396e-17, 2.240387506957555e-18, -2.609230185809504e-18,
        7.439266121377508e-19,
    ];

    private const double ChebT0 = 2.0 / 29.0;

    private static double[] BuildErfTaylor(int terms)
    {
        var c = new double[terms];
        double fact = 1;
        for (int n = 0; n < terms; n++)
        {
            if (n > 0) fact *= n;
            c[n] = TwoOverSqrtPi * (n % 2 == 0 ? 1 : -1) / (fact * (2 * n + 1));
        }
        return c;
    }

    /// <summary>erfc(z) for z &gt;= 0.5 (relative error about 1e-15).</summary>
    private static double ErfcTail(double z)
    {
        if (z >= 27.3) return 0.0; // erfc(27.3) is below the smallest subnormal double
        double t = 2.0 / (2.0 + z);
        double y = (2.0 * t - (ChebT0 + 1.0)) / (1.0 - ChebT0);
        // Clenshaw recurrence for sum c_k T_k(y).
        double b1 = 0, b2 = 0;
        for (int k = ErfcCheb.Length - 1; k >= 1; k--)
        {
            double b0 = 2.0 * y * b1 - b2 + ErfcCheb[k];
            b2 = b1;
            b1 = b0;
        }
        double g = y * b1 - b2 + ErfcCheb[0];
        // exp(-z^2) with z^2 split exactly (hi + lo) so large z keeps full relative accuracy.
        double z2 = z * z;
        double lo = Math.FusedMultiplyAdd(z, z, -z2);
        return t * Math.Exp(-z2) * Math.Exp(g - lo);
    }

    /// <summary>The error function erf(x).</summary>
    public static double Erf(double x)
    {
        double a = Math.Abs(x);
        if (a < 0.5)
        {
            double x2 = x * x, p = 0;
            for (int k = ErfTaylor.Length - 1; k >= 0; k--) p = p * x2 + ErfTaylor[k];
            return x * p;
        }
        if (double.IsNaN(x)) return x;
        double r = 1.0 - ErfcTail(a);
        return x < 0 ? -r : r;
    }

    /// <summary>The complementary error function erfc(x) = 1 - erf(x), accurate in the tails.</summary>
    public static double Erfc(double x)
    {
        if (double.IsNaN(x)) return x;
        if (Math.Abs(x) < 0.5) return 1.0 - Erf(x);
        return x > 0 ? ErfcTail(x) : 2.0 - ErfcTail(-x);
    }

    /// <summary>Standard normal CDF Phi(x) = erfc(-x/sqrt(2))/2 (no cancellation for negative x).</summary>
    public static double NormalCdf(double x) => 0.5 * Erfc(-x * InvSqrt2);

    /// <summary>Elements per <see cref="NormalCdfBlock"/> call; scratch must hold 6 times this many doubles.</summary>
    public const int Block = 256;

    /// <summary>
    /// Phi(x) for a block of at most <see cref="Block"/> values, vectorised across the block (the same erfc fit as
    /// <see cref="Erfc"/>, evaluated with span-wide SIMD steps instead of one element at a time).
    /// </summary>
    /// <param name="x">Inputs.</param>
    /// <param name="phi">Phi(x) per input.</param>
    /// <param name="scratch">Work space of 6 * x.Length doubles.</param>
    /// <param name="terms">Chebyshev terms to use: all 29 for float64 accuracy; 18 leave a truncation error below 1e-11,
    /// plenty for float32 results.</param>
    public static void NormalCdfBlock(ReadOnlySpan<double> x, Span<double> phi, Span<double> scratch, int terms = 29)
    {
        int n = x.Length;
        var a = scratch[..n];
        var t = scratch.Slice(n, n);
        var y2 = scratch.Slice(2 * n, n);
        var b1 = scratch.Slice(3 * n, n);
        var b2 = scratch.Slice(4 * n, n);
        var tmp = scratch.Slice(5 * n, n);
        // z = min(|x|/sqrt2, 27.5): beyond 27.3 erfc underflows to 0, and the clamp keeps +-inf finite.
        TensorPrimitives.Abs(x, a);
        TensorPrimitives.Multiply(a, InvSqrt2, a);
        TensorPrimitives.Min(a, 27.5, a);
        TensorPrimitives.Add(a, 2.0, t);
        TensorPrimitives.Divide(2.0, t, t);                                   // t = 2/(2+z)
        TensorPrimitives.Multiply(t, 4.0 / (1.0 - ChebT0), y2);
        TensorPrimitives.Add(y2, -2.0 * (ChebT0 + 1.0) / (1.0 - ChebT0), y2); // 2y
        ChebyshevBlock(y2, tmp, Math.Clamp(terms, 1, ErfcCheb.Length));      // g
        // erfc = t exp(-z2) exp(g - lo), z^2 = z2 + lo exactly.
        TensorPrimitives.Multiply(a, a, b1);                                  // z2
        TensorPrimitives.Negate(b1, b2);
        TensorPrimitives.FusedMultiplyAdd(a, a, b2, y2);                      // lo
        TensorPrimitives.Subtract(tmp, y2, tmp);
        TensorPrimitives.Exp(tmp, tmp);
        TensorPrimitives.Exp(b2, b2);
        TensorPrimitives.Multiply(tmp, b2, tmp);
        TensorPrimitives.Multiply(tmp, t, tmp);                               // erfc(z)
        // Phi = erfc/2 for x < 0, else 1 - erfc/2 (branch-free: signs are random in activations); NaN stays NaN.
        int i = 0;
        ref double xr = ref MemoryMarshal.GetReference(x);
        ref double er = ref MemoryMarshal.GetReference(tmp);
        ref double pr = ref MemoryMarshal.GetReference(phi);
        for (; i + 4 <= n; i += 4)
        {
            var xv = Vector256.LoadUnsafe(ref xr, (nuint)i);
            var h = Vector256.LoadUnsafe(ref er, (nuint)i) * 0.5;
            var r = Vector256.ConditionalSelect(Vector256.LessThan(xv, Vector256<double>.Zero), h, Vector256<double>.One - h);
            Vector256.ConditionalSelect(Vector256.Equals(xv, xv), r, xv).StoreUnsafe(ref pr, (nuint)i);
        }
        for (; i < n; i++)
        {
            double h = 0.5 * tmp[i];
            phi[i] = x[i] < 0 ? h : double.IsNaN(x[i]) ? x[i] : 1.0 - h;
        }
    }

    /// <summary>
    /// g = sum c_k T_k(y) for a block, given 2y: Clenshaw with four independent AVX chains in flight so that the
    /// FMA latency is hidden (a span op per coefficient would be dominated by call overhead).
    /// </summary>
    private static void ChebyshevBlock(ReadOnlySpan<double> twoY, Span<double> g, int terms)
    {
        int n = twoY.Length, i = 0;
        ref double src = ref MemoryMarshal.GetReference(twoY);
        ref double dst = ref MemoryMarshal.GetReference(g);
        var c = ErfcCheb;
        var half = Vector256.Create(0.5);
        for (; i + 16 <= n; i += 16)
        {
            var y0 = Vector256.LoadUnsafe(ref src, (nuint)i);
            var y1 = Vector256.LoadUnsafe(ref src, (nuint)(i + 4));
            var y2 = Vector256.LoadUnsafe(ref src, (nuint)(i + 8));
            var y3 = Vector256.LoadUnsafe(ref src, (nuint)(i + 12));
            Vector256<double> a0 = default, a1 = default, a2 = default, a3 = default;
            Vector256<double> b0 = default, b1 = default, b2 = default, b3 = default;
            for (int k = terms - 1; k >= 1; k--)
            {
                var ck = Vector256.Create(c[k]);
                var n0 = Vector256.FusedMultiplyAdd(y0, a0, ck - b0);
                var n1 = Vector256.FusedMultiplyAdd(y1, a1, ck - b1);
                var n2 = Vector256.FusedMultiplyAdd(y2, a2, ck - b2);
                var n3 = Vector256.FusedMultiplyAdd(y3, a3, ck - b3);
                b0 = a0; b1 = a1; b2 = a2; b3 = a3;
                a0 = n0; a1 = n1; a2 = n2; a3 = n3;
            }
            var c0 = Vector256.Create(c[0]);
            Vector256.FusedMultiplyAdd(y0 * half, a0, c0 - b0).StoreUnsafe(ref dst, (nuint)i);
            Vector256.FusedMultiplyAdd(y1 * half, a1, c0 - b1).StoreUnsafe(ref dst, (nuint)(i + 4));
            Vector256.FusedMultiplyAdd(y2 * half, a2, c0 - b2).StoreUnsafe(ref dst, (nuint)(i + 8));
            Vector256.FusedMultiplyAdd(y3 * half, a3, c0 - b3).StoreUnsafe(ref dst, (nuint)(i + 12));
        }
        for (; i < n; i++)
        {
            double y = twoY[i], p1 = 0, p2 = 0;
            for (int k = terms - 1; k >= 1; k--)
            {
                double p0 = Math.FusedMultiplyAdd(y, p1, c[k] - p2);
                p2 = p1;
                p1 = p0;
            }
            g[i] = Math.FusedMultiplyAdd(0.5 * y, p1, c[0] - p2);
        }
    }

    /// <summary>Standard normal density phi(x).</summary>
    public static double NormalPdf(double x) => InvSqrt2Pi * Math.Exp(-0.5 * x * x);

    /// <summary>log(1 + x), accurate for small x (Goldberg's correction on top of log).</summary>
    public static T Log1p<T>(T x) where T : IFloatingPointIeee754<T>
    {
        T u = T.One + x;
        if (u == T.One) return x;
        if (T.IsPositiveInfinity(u)) return u;
        return T.Log(u) * x / (u - T.One);
    }

    /// <summary>exp(x) - 1, accurate for small x (Kahan's correction on top of exp).</summary>
    public static T Expm1<T>(T x) where T : IFloatingPointIeee754<T>
    {
        T u = T.Exp(x);
        if (u == T.One) return x;
        T um1 = u - T.One;
        if (um1 == -T.One || T.IsPositiveInfinity(u)) return um1;
        return um1 * x / T.Log(u);
    }
}
