// Blocked GEMM-like micro-kernel of the fused attention kernels (FlashAttention-2, Dao 2023, Algorithms 1 and 2):
// one (query block x key block) tile's S = Q K^T, dP = dO V^T, dV += P^T dO, dK += dS^T Q, dQ += dS K and O += P V
// are all C (+)= A B with A read through (row, k) strides, as a 4 x 2-vector register tile with broadcast A scalars.
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace PluginMoE.Tensors.Backends;

public sealed partial class CpuBackend
{
    /// <summary>The vector operations the tile kernel needs, for one vector width (resolved per instantiation by the JIT).</summary>
    private interface ITileSimd<TV, T> where TV : struct where T : unmanaged
    {
        static abstract int Count { get; }
        static abstract TV Load(ref T p, int i);
        static abstract void Store(TV v, ref T p, int i);
        static abstract TV Splat(T x);
        static abstract TV Fma(TV a, TV b, TV c); // a * b + c, fused
    }

    private readonly struct TileSimd512<T> : ITileSimd<Vector512<T>, T> where T : unmanaged
    {
        public static int Count => Vector512<T>.Count;
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<T> Load(ref T p, int i) => Vector512.LoadUnsafe(ref p, (nuint)i);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static void Store(Vector512<T> v, ref T p, int i) => v.StoreUnsafe(ref p, (nuint)i);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<T> Splat(T x) => Vector512.Create(x);
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector512<T> Fma(Vector512<T> a, Vector512<T> b, Vector512<T> c)
        {
            if (typeof(T) == typeof(float)) return Vector512.FusedMultiplyAdd(a.AsSingle(), b.AsSingle(), c.AsSingle()).As<float, T>();
            if (typeof(T) == typeof(double)) return Vector512.FusedMultiplyAdd(a.AsDouble(), b.AsDouble(), c.AsDouble()).As<double, T>();
            throw new NotSupportedException(typeof(T).Name);
        }
    }

    private readonly struct TileSimd256<T> : ITileSimd<Vector256<T>, T> where T : unmanaged
    {
        public static int Count => Vector256<T>.Count;
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<T> Load(ref T p, int i) => Vector256.LoadUnsafe(ref p, (nuint)i);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static void Store(Vector256<T> v, ref T p, int i) => v.StoreUnsafe(ref p, (nuint)i);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<T> Splat(T x) => Vector256.Create(x);
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<T> Fma(Vector256<T> a, Vector256<T> b, Vector256<T> c)
        {
            if (typeof(T) == typeof(float)) return Vector256.FusedMultiplyAdd(a.AsSingle(), b.AsSingle(), c.AsSingle()).As<float, T>();
            if (typeof(T) == typeof(double)) return Vector256.FusedMultiplyAdd(a.AsDouble(), b.AsDouble(), c.AsDouble()).As<double, T>();
            throw new NotSupportedException(typeof(T).Name);
        }
    }

    /// <summary>Elements per vector of the tile kernel (what the S/P tiles' columns are padded to).</summary>
    private static int TileWidth<T>() where T : unmanaged =>
        Vector512.IsHardwareAccelerated ? Vector512<T>.Count : Vector256<T>.Count;

    /// <summary>
    /// <c>C[r, c] (+)= sum_k A[r * ars + k * aks] * B[k * ldb + c]</c> for r &lt; m, c &lt; n, k &lt; kd (k ascending, one fused
    /// multiply-add per term, so the result depends only on the operands, never on the caller's threading).
    /// </summary>
    private static void TileGemm<T>(T[] a, int aOff, int ars, int aks, T[] b, int bOff, int ldb, T[] c, int cOff, int ldc, int m, int n, int kd, bool accumulate)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (m <= 0 || n <= 0) return;
        ref T pa = ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(a), aOff);
        ref T pb = ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(b), bOff);
        ref T pc = ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(c), cOff);
        if (Vector512.IsHardwareAccelerated) TileGemm<T, Vector512<T>, TileSimd512<T>>(ref pa, ars, aks, ref pb, ldb, ref pc, ldc, m, n, kd, accumulate);
        else TileGemm<T, Vector256<T>, TileSimd256<T>>(ref pa, ars, aks, ref pb, ldb, ref pc, ldc, m, n, kd, accumulate);
    }

    private static void TileGemm<T, TV, TS>(ref T a, int ars, int aks, ref T b, int ldb, ref T c, int ldc, int m, int n, int kd, bool acc)
        where T : unmanaged, IFloatingPointIeee754<T> where TV : struct where TS : ITileSimd<TV, T>
    {
        int w = TS.Count, nv = n / w * w, r = 0;
        for (; r + 4 <= m; r += 4)
        {
            ref T a0 = ref Unsafe.Add(ref a, r * ars);
            ref T a1 = ref Unsafe.Add(ref a0, ars);
            ref T a2 = ref Unsafe.Add(ref a1, ars);
            ref T a3 = ref Unsafe.Add(ref a2, ars);
            ref T c0 = ref Unsafe.Add(ref c, r * ldc);
            ref T c1 = ref Unsafe.Add(ref c0, ldc);
            ref T c2 = ref Unsafe.Add(ref c1, ldc);
            ref T c3 = ref Unsafe.Add(ref c2, ldc);
            int col = 0;
            for (; col + 2 * w <= nv; col += 2 * w)
            {
                TV x00 = default, x01 = default, x10 = default, x11 = default, x20 = default, x21 = default, x30 = default, x31 = default;
                if (acc)
                {
                    x00 = TS.Load(ref c0, col); x01 = TS.Load(ref c0, col + w);
                    x10 = TS.Load(ref c1, col); x11 = TS.Load(ref c1, col + w);
                    x20 = TS.Load(ref c2, col); x21 = TS.Load(ref c2, col + w);
                    x30 = TS.Load(ref c3, col); x31 = TS.Load(ref c3, col + w);
                }
                for (int k = 0; k < kd; k++)
                {
                    ref T bk = ref Unsafe.Add(ref b, k * ldb + col);
                    TV b0 = TS.Load(ref bk, 0), b1 = TS.Load(ref bk, w);
                    int ak = k * aks;
                    TV s = TS.Splat(Unsafe.Add(ref a0, ak)); x00 = TS.Fma(s, b0, x00); x01 = TS.Fma(s, b1, x01);
                    s = TS.Splat(Unsafe.Add(ref a1, ak)); x10 = TS.Fma(s, b0, x10); x11 = TS.Fma(s, b1, x11);
                    s = TS.Splat(Unsafe.Add(ref a2, ak)); x20 = TS.Fma(s, b0, x20); x21 = TS.Fma(s, b1, x21);
                    s = TS.Splat(Unsafe.Add(ref a3, ak)); x30 = TS.Fma(s, b0, x30); x31 = TS.Fma(s, b1, x31);
                }
                TS.Store(x00, ref c0, col); TS.Store(x01, ref c0, col + w);
                TS.Store(x10, ref c1, col); TS.Store(x11, ref c1, col + w);
                TS.Store(x20, ref c2, col); TS.Store(x21, ref c2, col + w);
                TS.Store(x30, ref c3, col); TS.Store(x31, ref c3, col + w);
            }
            for (; col < nv; col += w)
            {
                TV x0 = default, x1 = default, x2 = default, x3 = default;
                if (acc) { x0 = TS.Load(ref c0, col); x1 = TS.Load(ref c1, col); x2 = TS.Load(ref c2, col); x3 = TS.Load(ref c3, col); }
                for (int k = 0; k < kd; k++)
                {
                    TV bv = TS.Load(ref b, k * ldb + col);
                    int ak = k * aks;
                    x0 = TS.Fma(TS.Splat(Unsafe.Add(ref a0, ak)), bv, x0);
                    x1 = TS.Fma(TS.Splat(Unsafe.Add(ref a1, ak)), bv, x1);
                    x2 = TS.Fma(TS.Splat(Unsafe.Add(ref a2, ak)), bv, x2);
                    x3 = TS.Fma(TS.Splat(Unsafe.Add(ref a3, ak)), bv, x3);
                }
                TS.Store(x0, ref c0, col); TS.Store(x1, ref c1, col); TS.Store(x2, ref c2, col); TS.Store(x3, ref c3, col);
            }
            for (; col < n; col++)
            {
                ScalarColumn(ref a0, aks, ref b, ldb, ref c0, col, kd, acc);
                ScalarColumn(ref a1, aks, ref b, ldb, ref c1, col, kd, acc);
                ScalarColumn(ref a2, aks, ref b, ldb, ref c2, col, kd, acc);
                ScalarColumn(ref a3, aks, ref b, ldb, ref c3, col, kd, acc);
            }
        }
        for (; r < m; r++)
        {
            ref T a0 = ref Unsafe.Add(ref a, r * ars);
            ref T c0 = ref Unsafe.Add(ref c, r * ldc);
            int col = 0;
            for (; col < nv; col += w)
            {
                TV x0 = acc ? TS.Load(ref c0, col) : default;
                for (int k = 0; k < kd; k++)
                    x0 = TS.Fma(TS.Splat(Unsafe.Add(ref a0, k * aks)), TS.Load(ref b, k * ldb + col), x0);
                TS.Store(x0, ref c0, col);
            }
            for (; col < n; col++) ScalarColumn(ref a0, aks, ref b, ldb, ref c0, col, kd, acc);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void ScalarColumn<T>(ref T a, int aks, ref T b, int ldb, ref T c, int col, int kd, bool acc)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        T x = acc ? Unsafe.Add(ref c, col) : T.Zero;
        for (int k = 0; k < kd; k++) x = T.FusedMultiplyAdd(Unsafe.Add(ref a, k * aks), Unsafe.Add(ref b, k * ldb + col), x);
        Unsafe.Add(ref c, col) = x;
    }

    /// <summary>Copies rows [first, first + n) of one (b, h) slice of <paramref name="src"/> transposed into dst (dim x ld), zero-padding columns n..ld.</summary>
    private static void PackTransposed<T>(RowView<T> src, int b, int h, int first, int n, T[] dst, int ld) where T : unmanaged
    {
        PackTransposed(src, b, h, first, n, dst, ld, 0);
        if (n < ld)
            for (int e = 0; e < src.Dim; e++) Array.Clear(dst, e * ld + n, ld - n);
    }

    /// <summary>
    /// Copies rows [first, first + n) of one (b, h) slice of <paramref name="src"/> transposed into columns
    /// [col, col + n) of dst (dim x ld): dst[e * ld + col + c] = row(first + c)[e]. Four rows at a time, so each pass
    /// over the dim writes four adjacent elements.
    /// </summary>
    private static void PackTransposed<T>(RowView<T> src, int b, int h, int first, int n, T[] dst, int ld, int col) where T : unmanaged
    {
        int dim = src.Dim;
        if (n <= 0 || dim <= 0) return;
        if ((long)(dim - 1) * ld + col + n > dst.Length) throw new ArgumentException("attention kernel: K^T buffer too small");
        var data = src.Data;
        ref T d0 = ref MemoryMarshal.GetArrayDataReference(dst);
        int c = 0;
        for (; c + 4 <= n; c += 4)
        {
            ReadOnlySpan<T> r0 = src.Row(b, h, first + c), r1 = src.Row(b, h, first + c + 1), r2 = src.Row(b, h, first + c + 2), r3 = src.Row(b, h, first + c + 3);
            ref T o = ref Unsafe.Add(ref d0, col + c);
            for (int e = 0; e < dim; e++)
            {
                ref T x = ref Unsafe.Add(ref o, e * ld);
                x = r0[e];
                Unsafe.Add(ref x, 1) = r1[e];
                Unsafe.Add(ref x, 2) = r2[e];
                Unsafe.Add(ref x, 3) = r3[e];
            }
        }
        for (; c < n; c++)
        {
            ReadOnlySpan<T> r = src.Row(b, h, first + c);
            ref T o = ref Unsafe.Add(ref d0, col + c);
            for (int e = 0; e < dim; e++) Unsafe.Add(ref o, e * ld) = r[e];
        }
    }
}
