// Numerical helpers behind nn.init: truncated-normal sampling (rejection, or inverse CDF for improbable
// intervals) and the sign-corrected Q factor of a QR decomposition (modified Gram-Schmidt, applied twice).
namespace PluginMoE.Tensors;

public static partial class torch
{
    public static partial class nn
    {
        public static partial class init
        {
            /// <summary>Exact samples of a normal law truncated to [a, b].</summary>
            private static class TruncatedNormal
            {
                public static void Sample(Span<double> dst, double mean, double std, double a, double b, Generator g)
                {
                    double lo = (a - mean) / std, hi = (b - mean) / std;
                    // Work in the tail closer to zero so that the CDF differences keep precision.
                    bool flip = lo > 0;
                    if (flip) (lo, hi) = (-hi, -lo);
                    double plo = Phi(lo), phi = Phi(hi);
                    double mass = phi - plo;
                    if (mass >= 0.25)
                    {
                        // Rejection from N(0, 1): each round keeps at least a quarter of the draws on average.
                        int filled = 0;
                        var buf = new double[(int)Math.Min(1 << 26, dst.Length / mass * 1.1 + 16)];
                        while (filled < dst.Length)
                        {
                            var s = buf.AsSpan(0, (int)Math.Min(buf.Length, (dst.Length - filled) / mass * 1.1 + 16));
                            g.FillNormal(s, 0, 1);
                            foreach (var z in s)
                            {
                                if (z < lo || z > hi) continue;
                                dst[filled++] = flip ? -z : z;
                                if (filled == dst.Length) break;
                            }
                        }
                    }
                    else
                    {
                        g.FillUniform(dst, 0.0, 1.0);
                        for (int i = 0; i < dst.Length; i++)
                        {
                            double z = InversePhi(plo + dst[i] * mass, lo, hi);
                            dst[i] = flip ? -z : z;
                        }
                    }
                    for (int i = 0; i < dst.Length; i++) dst[i] = Math.Clamp(mean + std * dst[i], a, b);
                }

                /// <summary>Standard normal CDF.</summary>
                private static double Phi(double x)
                {
                    if (double.IsNegativeInfinity(x)) return 0;
                    if (double.IsPositiveInfinity(x)) return 1;
                    return 0.5 * Erfc(-x / Math.Sqrt(2));
                }

                /// <summary>Complementary error function: Taylor series of erf near 0, continued fraction in the tails.</summary>
                private static double Erfc(double x)
                {
                    if (x < 0) return 2 - Erfc(-x);
                    if (x < 2.5)
                    {
                        // erf(x) = 2/sqrt(pi) * sum_n (-1)^n x^(2n+1) / (n! (2n+1))
                        double term = x, sum = x, x2 = x * x;
                        for (int n = 1; n < 100; n++)
                        {
                            term *= -x2 / n;
                            double add = term / (2 * n + 1);
                            sum += add;
                            if (Math.Abs(add) < 1e-17 * Math.Abs(sum)) break;
                        }
                        return 1 - 2 / Math.Sqrt(Math.PI) * sum;
                    }
                    // erfc(x) = exp(-x^2)/sqrt(pi) * 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + 2/(x + ...))))), evaluated bottom-up.
                    double f = x;
                    for (int k = 60; k >= 1; k--) f = x + k / 2.0 / f;
                    return Math.Exp(-x * x) / Math.Sqrt(Math.PI) / f;
                }

                /// <summary>Solves Phi(z) = p for z in [lo, hi] by safeguarded Newton steps.</summary>
                private static double InversePhi(double p, double lo, double hi)
                {
                    double l = Math.Max(lo, -40), h = Math.Min(hi, 40);
                    double z = 0.5 * (l + h);
                    for (int it = 0; it < 100; it++)
                    {
                        double f = Phi(z) - p;
                        if (f > 0) h = z; else l = z;
                        double pdf = Math.Exp(-0.5 * z * z) / Math.Sqrt(2 * Math.PI);
                        double next = pdf > 0 ? z - f / pdf : double.NaN;
                        if (!(next > l && next < h)) next = 0.5 * (l + h);
                        if (Math.Abs(next - z) < 1e-14 * Math.Max(1, Math.Abs(z))) return next;
                        z = next;
                    }
                    return z;
                }
            }

            /// <summary>The Q factor, sign-corrected to a positive-diagonal R, of a row-major rows x cols matrix.</summary>
            private static class Orthogonal
            {
                public static double[] Q(double[] a, int rows, int cols, double gain)
                {
                    // Orthonormalise the columns of the tall matrix (transpose first when wide).
                    bool wide = rows < cols;
                    int m = wide ? cols : rows, n = wide ? rows : cols;
                    var col = new double[n][];
                    for (int j = 0; j < n; j++)
                    {
                        col[j] = new double[m];
                        for (int i = 0; i < m; i++) col[j][i] = wide ? a[j * cols + i] : a[i * cols + j];
                    }
                    for (int j = 0; j < n; j++)
                    {
                        var v = col[j];
                        for (int pass = 0; pass < 2; pass++)
                            for (int k = 0; k < j; k++)
                            {
                                double dot = 0;
                                for (int i = 0; i < m; i++) dot += col[k][i] * v[i];
                                for (int i = 0; i < m; i++) v[i] -= dot * col[k][i];
                            }
                        double norm = 0;
                        for (int i = 0; i < m; i++) norm += v[i] * v[i];
                        norm = Math.Sqrt(norm);
                        for (int i = 0; i < m; i++) v[i] /= norm;
                    }
                    var q = new double[rows * cols];
                    for (int j = 0; j < n; j++)
                        for (int i = 0; i < m; i++)
                        {
                            if (wide) q[j * cols + i] = gain * col[j][i];
                            else q[i * cols + j] = gain * col[j][i];
                        }
                    return q;
                }
            }
        }
    }
}
