// GEMM micro-kernels and panel packing (GotoBLAS/BLIS layout: Goto & van de Geijn, "Anatomy of
// high-performance matrix multiplication", 2008). Register tiles: 12 x 2 vectors (AVX-512), 6 x 2 vectors (AVX2).
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace PluginMoE.Tensors.Backends;

public sealed partial class CpuBackend
{
    /// <summary>How a finished tile of accumulators is merged into C (chosen once from alpha and beta).</summary>
    internal enum GemmMerge
    {
        /// <summary>c = acc (alpha = 1, beta = 0).</summary>
        Store,
        /// <summary>c = alpha * acc (beta = 0).</summary>
        Scale,
        /// <summary>c = c + acc (alpha = 1, beta = 1).</summary>
        Add,
        /// <summary>c = fma(alpha, acc, c) (beta = 1).</summary>
        AxpyAdd,
        /// <summary>c = fma(alpha, acc, beta * c).</summary>
        General,
    }

    internal static GemmMerge MergeMode<T>(T alpha, T beta) where T : IFloatingPointIeee754<T> =>
        T.IsZero(beta) ? (alpha == T.One ? GemmMerge.Store : GemmMerge.Scale)
        : beta == T.One ? (alpha == T.One ? GemmMerge.Add : GemmMerge.AxpyAdd)
        : GemmMerge.General;

    /// <summary>Scalar merge with exactly the arithmetic of the vector <c>Put</c> overloads (edge tiles, direct path).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static T MergeScalar<T>(T acc, T old, T alpha, T beta, GemmMerge mode) where T : IFloatingPointIeee754<T> => mode switch
    {
        GemmMerge.Store => acc,
        GemmMerge.Scale => acc * alpha,
        GemmMerge.Add => old + acc,
        GemmMerge.AxpyAdd => T.FusedMultiplyAdd(alpha, acc, old),
        _ => T.FusedMultiplyAdd(alpha, acc, old * beta),
    };

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<T> FmaV<T>(Vector512<T> a, Vector512<T> b, Vector512<T> c)
    {
        if (typeof(T) == typeof(float)) return Vector512.FusedMultiplyAdd(a.AsSingle(), b.AsSingle(), c.AsSingle()).As<float, T>();
        return Vector512.FusedMultiplyAdd(a.AsDouble(), b.AsDouble(), c.AsDouble()).As<double, T>();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<T> FmaV<T>(Vector256<T> a, Vector256<T> b, Vector256<T> c)
    {
        if (typeof(T) == typeof(float)) return Vector256.FusedMultiplyAdd(a.AsSingle(), b.AsSingle(), c.AsSingle()).As<float, T>();
        return Vector256.FusedMultiplyAdd(a.AsDouble(), b.AsDouble(), c.AsDouble()).As<double, T>();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void Put<T>(T* dst, Vector512<T> acc, Vector512<T> alpha, Vector512<T> beta, GemmMerge mode) where T : unmanaged
    {
        switch (mode)
        {
            case GemmMerge.Store: acc.Store(dst); break;
            case GemmMerge.Scale: (acc * alpha).Store(dst); break;
            case GemmMerge.Add: (Vector512.Load(dst) + acc).Store(dst); break;
            case GemmMerge.AxpyAdd: FmaV(alpha, acc, Vector512.Load(dst)).Store(dst); break;
            default: FmaV(alpha, acc, Vector512.Load(dst) * beta).Store(dst); break;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void Put<T>(T* dst, Vector256<T> acc, Vector256<T> alpha, Vector256<T> beta, GemmMerge mode) where T : unmanaged
    {
        switch (mode)
        {
            case GemmMerge.Store: acc.Store(dst); break;
            case GemmMerge.Scale: (acc * alpha).Store(dst); break;
            case GemmMerge.Add: (Vector256.Load(dst) + acc).Store(dst); break;
            case GemmMerge.AxpyAdd: FmaV(alpha, acc, Vector256.Load(dst)).Store(dst); break;
            default: FmaV(alpha, acc, Vector256.Load(dst) * beta).Store(dst); break;
        }
    }

    /// <summary>
    /// AVX-512 tile: C[12, 2w] (row stride <paramref name="rsc"/>, unit column stride) merged with the product of
    /// a packed A micro-panel (kc x 12, k-major) and a packed B micro-panel (kc x 2w, k-major); w = lanes of T.
    /// Only the first <paramref name="rows"/> rows (1-12) of C are merged: an edge panel of A (fewer rows than the
    /// tile, zero-padded by the packing) writes straight into C instead of going through a scratch tile.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void Micro512<T>(int kc, T* ap, T* bp, T* c, nint rsc, T alpha, T beta, GemmMerge mode, int rows = 12) where T : unmanaged
    {
        Vector512<T> c00 = default, c01 = default;
        Vector512<T> c10 = default, c11 = default;
        Vector512<T> c20 = default, c21 = default;
        Vector512<T> c30 = default, c31 = default;
        Vector512<T> c40 = default, c41 = default;
        Vector512<T> c50 = default, c51 = default;
        Vector512<T> c60 = default, c61 = default;
        Vector512<T> c70 = default, c71 = default;
        Vector512<T> c80 = default, c81 = default;
        Vector512<T> c90 = default, c91 = default;
        Vector512<T> c100 = default, c101 = default;
        Vector512<T> c110 = default, c111 = default;
        int w = Vector512<T>.Count;
        // Bring the C tile towards L1 while the k loop runs (it is read or written at the end).
        Sse.Prefetch0(c + 0 * rsc); Sse.Prefetch0(c + 0 * rsc + 2 * w - 1);
        Sse.Prefetch0(c + 1 * rsc); Sse.Prefetch0(c + 1 * rsc + 2 * w - 1);
        Sse.Prefetch0(c + 2 * rsc); Sse.Prefetch0(c + 2 * rsc + 2 * w - 1);
        Sse.Prefetch0(c + 3 * rsc); Sse.Prefetch0(c + 3 * rsc + 2 * w - 1);
        Sse.Prefetch0(c + 4 * rsc); Sse.Prefetch0(c + 4 * rsc + 2 * w - 1);
        Sse.Prefetch0(c + 5 * rsc); Sse.Prefetch0(c + 5 * rsc + 2 * w - 1);
        Sse.Prefetch0(c + 6 * rsc); Sse.Prefetch0(c + 6 * rsc + 2 * w - 1);
        Sse.Prefetch0(c + 7 * rsc); Sse.Prefetch0(c + 7 * rsc + 2 * w - 1);
        Sse.Prefetch0(c + 8 * rsc); Sse.Prefetch0(c + 8 * rsc + 2 * w - 1);
        Sse.Prefetch0(c + 9 * rsc); Sse.Prefetch0(c + 9 * rsc + 2 * w - 1);
        Sse.Prefetch0(c + 10 * rsc); Sse.Prefetch0(c + 10 * rsc + 2 * w - 1);
        Sse.Prefetch0(c + 11 * rsc); Sse.Prefetch0(c + 11 * rsc + 2 * w - 1);
        for (int p = 0; p < kc; p++)
        {
            var b0 = Vector512.Load(bp);
            var b1 = Vector512.Load(bp + w);
            var a0 = Vector512.Create(ap[0]); c00 = FmaV(a0, b0, c00); c01 = FmaV(a0, b1, c01);
            var a1 = Vector512.Create(ap[1]); c10 = FmaV(a1, b0, c10); c11 = FmaV(a1, b1, c11);
            var a2 = Vector512.Create(ap[2]); c20 = FmaV(a2, b0, c20); c21 = FmaV(a2, b1, c21);
            var a3 = Vector512.Create(ap[3]); c30 = FmaV(a3, b0, c30); c31 = FmaV(a3, b1, c31);
            var a4 = Vector512.Create(ap[4]); c40 = FmaV(a4, b0, c40); c41 = FmaV(a4, b1, c41);
            var a5 = Vector512.Create(ap[5]); c50 = FmaV(a5, b0, c50); c51 = FmaV(a5, b1, c51);
            var a6 = Vector512.Create(ap[6]); c60 = FmaV(a6, b0, c60); c61 = FmaV(a6, b1, c61);
            var a7 = Vector512.Create(ap[7]); c70 = FmaV(a7, b0, c70); c71 = FmaV(a7, b1, c71);
            var a8 = Vector512.Create(ap[8]); c80 = FmaV(a8, b0, c80); c81 = FmaV(a8, b1, c81);
            var a9 = Vector512.Create(ap[9]); c90 = FmaV(a9, b0, c90); c91 = FmaV(a9, b1, c91);
            var a10 = Vector512.Create(ap[10]); c100 = FmaV(a10, b0, c100); c101 = FmaV(a10, b1, c101);
            var a11 = Vector512.Create(ap[11]); c110 = FmaV(a11, b0, c110); c111 = FmaV(a11, b1, c111);
            ap += 12;
            bp += 2 * w;
        }
        var va = Vector512.Create(alpha);
        var vb = Vector512.Create(beta);
        Put(c + 0 * rsc, c00, va, vb, mode); Put(c + 0 * rsc + w, c01, va, vb, mode);
        if (rows <= 1) return;
        Put(c + 1 * rsc, c10, va, vb, mode); Put(c + 1 * rsc + w, c11, va, vb, mode);
        if (rows <= 2) return;
        Put(c + 2 * rsc, c20, va, vb, mode); Put(c + 2 * rsc + w, c21, va, vb, mode);
        if (rows <= 3) return;
        Put(c + 3 * rsc, c30, va, vb, mode); Put(c + 3 * rsc + w, c31, va, vb, mode);
        if (rows <= 4) return;
        Put(c + 4 * rsc, c40, va, vb, mode); Put(c + 4 * rsc + w, c41, va, vb, mode);
        if (rows <= 5) return;
        Put(c + 5 * rsc, c50, va, vb, mode); Put(c + 5 * rsc + w, c51, va, vb, mode);
        if (rows <= 6) return;
        Put(c + 6 * rsc, c60, va, vb, mode); Put(c + 6 * rsc + w, c61, va, vb, mode);
        if (rows <= 7) return;
        Put(c + 7 * rsc, c70, va, vb, mode); Put(c + 7 * rsc + w, c71, va, vb, mode);
        if (rows <= 8) return;
        Put(c + 8 * rsc, c80, va, vb, mode); Put(c + 8 * rsc + w, c81, va, vb, mode);
        if (rows <= 9) return;
        Put(c + 9 * rsc, c90, va, vb, mode); Put(c + 9 * rsc + w, c91, va, vb, mode);
        if (rows <= 10) return;
        Put(c + 10 * rsc, c100, va, vb, mode); Put(c + 10 * rsc + w, c101, va, vb, mode);
        if (rows <= 11) return;
        Put(c + 11 * rsc, c110, va, vb, mode); Put(c + 11 * rsc + w, c111, va, vb, mode);
    }

    /// <summary>
    /// <see cref="Micro512"/> with A read in place and packed on the way: twelve rows of a row-major A (unit column stride,
    /// row stride <paramref name="rsa"/> elements) are broadcast straight from their rows, and each broadcast value is
    /// also stored into the packed micro-panel <paramref name="ap"/> (k-major, 12 per k, as <see cref="PackA"/> writes
    /// it), so the first column panel of a block packs A for the later ones without a separate transposing pass. The
    /// multiply-adds and their order are those of <see cref="Micro512"/>: the tile is bitwise the packed one's. Rows are
    /// addressed from three bases (rows 0, 4, 8) plus 0, 1, 2 or 3 row strides (five address registers, not twelve).
    /// All twelve rows must exist: an edge panel of A is packed by <see cref="PackA"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void Micro512A<T>(int kc, T* a, nint rsa, T* ap, T* bp, T* c, nint rsc, T alpha, T beta, GemmMerge mode) where T : unmanaged
    {
        Vector512<T> c00 = default, c01 = default;
        Vector512<T> c10 = default, c11 = default;
        Vector512<T> c20 = default, c21 = default;
        Vector512<T> c30 = default, c31 = default;
        Vector512<T> c40 = default, c41 = default;
        Vector512<T> c50 = default, c51 = default;
        Vector512<T> c60 = default, c61 = default;
        Vector512<T> c70 = default, c71 = default;
        Vector512<T> c80 = default, c81 = default;
        Vector512<T> c90 = default, c91 = default;
        Vector512<T> c100 = default, c101 = default;
        Vector512<T> c110 = default, c111 = default;
        int w = Vector512<T>.Count;
        Sse.Prefetch0(c + 0 * rsc); Sse.Prefetch0(c + 0 * rsc + 2 * w - 1);
        Sse.Prefetch0(c + 1 * rsc); Sse.Prefetch0(c + 1 * rsc + 2 * w - 1);
        Sse.Prefetch0(c + 2 * rsc); Sse.Prefetch0(c + 2 * rsc + 2 * w - 1);
        Sse.Prefetch0(c + 3 * rsc); Sse.Prefetch0(c + 3 * rsc + 2 * w - 1);
        Sse.Prefetch0(c + 4 * rsc); Sse.Prefetch0(c + 4 * rsc + 2 * w - 1);
        Sse.Prefetch0(c + 5 * rsc); Sse.Prefetch0(c + 5 * rsc + 2 * w - 1);
        Sse.Prefetch0(c + 6 * rsc); Sse.Prefetch0(c + 6 * rsc + 2 * w - 1);
        Sse.Prefetch0(c + 7 * rsc); Sse.Prefetch0(c + 7 * rsc + 2 * w - 1);
        Sse.Prefetch0(c + 8 * rsc); Sse.Prefetch0(c + 8 * rsc + 2 * w - 1);
        Sse.Prefetch0(c + 9 * rsc); Sse.Prefetch0(c + 9 * rsc + 2 * w - 1);
        Sse.Prefetch0(c + 10 * rsc); Sse.Prefetch0(c + 10 * rsc + 2 * w - 1);
        Sse.Prefetch0(c + 11 * rsc); Sse.Prefetch0(c + 11 * rsc + 2 * w - 1);
        byte* r0 = (byte*)a, r4 = (byte*)(a + 4 * rsa), r8 = (byte*)(a + 8 * rsa);
        nint s1 = rsa * sizeof(T), s3 = 3 * s1;
        for (int p = 0; p < kc; p++)
        {
            var b0 = Vector512.Load(bp);
            var b1 = Vector512.Load(bp + w);
            var a0 = Vector512.Create(*(T*)r0); ap[0] = a0.ToScalar(); c00 = FmaV(a0, b0, c00); c01 = FmaV(a0, b1, c01);
            var a1 = Vector512.Create(*(T*)(r0 + s1)); ap[1] = a1.ToScalar(); c10 = FmaV(a1, b0, c10); c11 = FmaV(a1, b1, c11);
            var a2 = Vector512.Create(*(T*)(r0 + s1 * 2)); ap[2] = a2.ToScalar(); c20 = FmaV(a2, b0, c20); c21 = FmaV(a2, b1, c21);
            var a3 = Vector512.Create(*(T*)(r0 + s3)); ap[3] = a3.ToScalar(); c30 = FmaV(a3, b0, c30); c31 = FmaV(a3, b1, c31);
            var a4 = Vector512.Create(*(T*)r4); ap[4] = a4.ToScalar(); c40 = FmaV(a4, b0, c40); c41 = FmaV(a4, b1, c41);
            var a5 = Vector512.Create(*(T*)(r4 + s1)); ap[5] = a5.ToScalar(); c50 = FmaV(a5, b0, c50); c51 = FmaV(a5, b1, c51);
            var a6 = Vector512.Create(*(T*)(r4 + s1 * 2)); ap[6] = a6.ToScalar(); c60 = FmaV(a6, b0, c60); c61 = FmaV(a6, b1, c61);
            var a7 = Vector512.Create(*(T*)(r4 + s3)); ap[7] = a7.ToScalar(); c70 = FmaV(a7, b0, c70); c71 = FmaV(a7, b1, c71);
            var a8 = Vector512.Create(*(T*)r8); ap[8] = a8.ToScalar(); c80 = FmaV(a8, b0, c80); c81 = FmaV(a8, b1, c81);
            var a9 = Vector512.Create(*(T*)(r8 + s1)); ap[9] = a9.ToScalar(); c90 = FmaV(a9, b0, c90); c91 = FmaV(a9, b1, c91);
            var a10 = Vector512.Create(*(T*)(r8 + s1 * 2)); ap[10] = a10.ToScalar(); c100 = FmaV(a10, b0, c100); c101 = FmaV(a10, b1, c101);
            var a11 = Vector512.Create(*(T*)(r8 + s3)); ap[11] = a11.ToScalar(); c110 = FmaV(a11, b0, c110); c111 = FmaV(a11, b1, c111);
            r0 += sizeof(T); r4 += sizeof(T); r8 += sizeof(T);
            ap += 12;
            bp += 2 * w;
        }
        var va = Vector512.Create(alpha);
        var vb = Vector512.Create(beta);
        Put(c + 0 * rsc, c00, va, vb, mode); Put(c + 0 * rsc + w, c01, va, vb, mode);
        Put(c + 1 * rsc, c10, va, vb, mode); Put(c + 1 * rsc + w, c11, va, vb, mode);
        Put(c + 2 * rsc, c20, va, vb, mode); Put(c + 2 * rsc + w, c21, va, vb, mode);
        Put(c + 3 * rsc, c30, va, vb, mode); Put(c + 3 * rsc + w, c31, va, vb, mode);
        Put(c + 4 * rsc, c40, va, vb, mode); Put(c + 4 * rsc + w, c41, va, vb, mode);
        Put(c + 5 * rsc, c50, va, vb, mode); Put(c + 5 * rsc + w, c51, va, vb, mode);
        Put(c + 6 * rsc, c60, va, vb, mode); Put(c + 6 * rsc + w, c61, va, vb, mode);
        Put(c + 7 * rsc, c70, va, vb, mode); Put(c + 7 * rsc + w, c71, va, vb, mode);
        Put(c + 8 * rsc, c80, va, vb, mode); Put(c + 8 * rsc + w, c81, va, vb, mode);
        Put(c + 9 * rsc, c90, va, vb, mode); Put(c + 9 * rsc + w, c91, va, vb, mode);
        Put(c + 10 * rsc, c100, va, vb, mode); Put(c + 10 * rsc + w, c101, va, vb, mode);
        Put(c + 11 * rsc, c110, va, vb, mode); Put(c + 11 * rsc + w, c111, va, vb, mode);
    }

    /// <summary>AVX2 tile: C[6, 2w] from packed panels (kc x 6 and kc x 2w), as <see cref="Micro512"/> (first <paramref name="rows"/> rows merged).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void Micro256<T>(int kc, T* ap, T* bp, T* c, nint rsc, T alpha, T beta, GemmMerge mode, int rows = 6) where T : unmanaged
    {
        Vector256<T> c00 = default, c01 = default;
        Vector256<T> c10 = default, c11 = default;
        Vector256<T> c20 = default, c21 = default;
        Vector256<T> c30 = default, c31 = default;
        Vector256<T> c40 = default, c41 = default;
        Vector256<T> c50 = default, c51 = default;
        int w = Vector256<T>.Count;
        // Bring the C tile towards L1 while the k loop runs (it is read or written at the end).
        Sse.Prefetch0(c + 0 * rsc); Sse.Prefetch0(c + 0 * rsc + 2 * w - 1);
        Sse.Prefetch0(c + 1 * rsc); Sse.Prefetch0(c + 1 * rsc + 2 * w - 1);
        Sse.Prefetch0(c + 2 * rsc); Sse.Prefetch0(c + 2 * rsc + 2 * w - 1);
        Sse.Prefetch0(c + 3 * rsc); Sse.Prefetch0(c + 3 * rsc + 2 * w - 1);
        Sse.Prefetch0(c + 4 * rsc); Sse.Prefetch0(c + 4 * rsc + 2 * w - 1);
        Sse.Prefetch0(c + 5 * rsc); Sse.Prefetch0(c + 5 * rsc + 2 * w - 1);
        for (int p = 0; p < kc; p++)
        {
            var b0 = Vector256.Load(bp);
            var b1 = Vector256.Load(bp + w);
            var a0 = Vector256.Create(ap[0]); c00 = FmaV(a0, b0, c00); c01 = FmaV(a0, b1, c01);
            var a1 = Vector256.Create(ap[1]); c10 = FmaV(a1, b0, c10); c11 = FmaV(a1, b1, c11);
            var a2 = Vector256.Create(ap[2]); c20 = FmaV(a2, b0, c20); c21 = FmaV(a2, b1, c21);
            var a3 = Vector256.Create(ap[3]); c30 = FmaV(a3, b0, c30); c31 = FmaV(a3, b1, c31);
            var a4 = Vector256.Create(ap[4]); c40 = FmaV(a4, b0, c40); c41 = FmaV(a4, b1, c41);
            var a5 = Vector256.Create(ap[5]); c50 = FmaV(a5, b0, c50); c51 = FmaV(a5, b1, c51);
            ap += 6;
            bp += 2 * w;
        }
        var va = Vector256.Create(alpha);
        var vb = Vector256.Create(beta);
        Put(c + 0 * rsc, c00, va, vb, mode); Put(c + 0 * rsc + w, c01, va, vb, mode);
        if (rows <= 1) return;
        Put(c + 1 * rsc, c10, va, vb, mode); Put(c + 1 * rsc + w, c11, va, vb, mode);
        if (rows <= 2) return;
        Put(c + 2 * rsc, c20, va, vb, mode); Put(c + 2 * rsc + w, c21, va, vb, mode);
        if (rows <= 3) return;
        Put(c + 3 * rsc, c30, va, vb, mode); Put(c + 3 * rsc + w, c31, va, vb, mode);
        if (rows <= 4) return;
        Put(c + 4 * rsc, c40, va, vb, mode); Put(c + 4 * rsc + w, c41, va, vb, mode);
        if (rows <= 5) return;
        Put(c + 5 * rsc, c50, va, vb, mode); Put(c + 5 * rsc + w, c51, va, vb, mode);
    }

    /// <summary>
    /// Packs an mc x kc block of A (strides <paramref name="rsa"/>, <paramref name="csa"/>) into micro-panels of
    /// <paramref name="mr"/> rows, each stored k-major (panel[p * mr + r]); rows past mc are zero.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // optimised from the first call: no tier-0 or OSR phase
    private static unsafe void PackA<T>(int mc, int kc, T* a, nint rsa, nint csa, T* dst, int mr) where T : unmanaged
    {
        if (rsa == 1)
        {
            PackATransposed(mc, kc, a, csa, dst, mr);
            return;
        }
        for (int i0 = 0; i0 < mc; i0 += mr)
        {
            int rows = Math.Min(mr, mc - i0);
            T* d = dst + (nint)i0 * kc;
            T* src = a + i0 * rsa;
            if (rows < mr)
                new Span<T>(d, kc * mr).Clear();
            if (csa == 1 && rows == mr)
            {
                // Row-major A: read mr rows in step, write the panel sequentially (for float and the 12-row AVX-512 panel an
                // 8x8 AVX transpose of rows 0-7 and two 4x4 SSE transposes of rows 8-11 per 8 k; else 4x4 transposes).
                int p = 0;
                if (typeof(T) == typeof(float) && Avx.IsSupported && mr == 12)
                    for (; p + 8 <= kc; p += 8)
                    {
                        Transpose8x8((float*)(src + p), rsa, (float*)(d + p * mr), mr);
                        Transpose4x4((float*)(src + 8 * rsa + p), rsa, (float*)(d + p * mr + 8), mr);
                        Transpose4x4((float*)(src + 8 * rsa + p + 4), rsa, (float*)(d + (p + 4) * mr + 8), mr);
                    }
                if (typeof(T) == typeof(float) && Sse.IsSupported && mr % 4 == 0)
                    for (; p + 4 <= kc; p += 4)
                        for (int r = 0; r < mr; r += 4)
                            Transpose4x4((float*)(src + r * rsa + p), rsa, (float*)(d + p * mr + r), mr);
                for (; p < kc; p++)
                    for (int r = 0; r < mr; r++) d[p * mr + r] = src[r * rsa + p];
            }
            else
            {
                for (int r = 0; r < rows; r++)
                {
                    T* s = src + r * rsa;
                    for (int p = 0; p < kc; p++) d[p * mr + r] = s[p * csa];
                }
            }
        }
    }

    /// <summary>
    /// <see cref="PackA"/> for a column-major A (a transposed view, unit row stride): each k is a contiguous run of mc
    /// rows. Eight k at a time (<see cref="PackATransposedK"/>), every panel gets its eight register rows (a contiguous
    /// 8 x mr run, whole cache lines) before the next panel: the panels lie kc x mr elements apart, often a multiple of
    /// 4 KiB, so writing one register row into every panel per k (the old order) put all the panels' open lines into one
    /// L1 set, and each partly written line was evicted and fetched again (about 2x the packing time of a row-major A).
    /// The eight source runs are read front to back in step.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // optimised from the first call: no tier-0 or OSR phase
    private static unsafe void PackATransposed<T>(int mc, int kc, T* a, nint csa, T* dst, int mr) where T : unmanaged
    {
        int full = mc / mr, rest = mc - full * mr;
        if (rest > 0) new Span<T>(dst + (nint)full * mr * kc, kc * mr).Clear();
        int bytes = mr * sizeof(T), restBytes = rest * sizeof(T);
        nint panel = (nint)mr * kc;
        int p0 = 0;
        for (; p0 + PackATransposedK <= kc; p0 += PackATransposedK)
        {
            T* s = a + p0 * csa;
            T* d = dst + (nint)p0 * mr;
            for (int q = 0; q < full; q++, s += mr, d += panel)
                for (int pp = 0; pp < PackATransposedK; pp++)
                    CopySmall((byte*)(s + pp * csa), (byte*)(d + pp * mr), bytes);
            if (rest > 0)
                for (int pp = 0; pp < PackATransposedK; pp++)
                    CopySmall((byte*)(s + pp * csa), (byte*)(d + pp * mr), restBytes);
        }
        for (; p0 < kc; p0++)
        {
            T* s = a + p0 * csa;
            T* d = dst + (nint)p0 * mr;
            for (int q = 0; q < full; q++, s += mr, d += panel) CopySmall((byte*)s, (byte*)d, bytes);
            if (rest > 0) CopySmall((byte*)s, (byte*)d, restBytes);
        }
    }

    /// <summary>k per pass of <see cref="PackATransposed"/>: eight source runs in step stay within the L1's ways.</summary>
    private const int PackATransposedK = 8;

    /// <summary>Copies a short run of bytes with 64/32/16/8-byte vector moves, then single bytes (packing copies of one register row).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void CopySmall(byte* s, byte* d, int bytes)
    {
        int i = 0;
        if (Vector512.IsHardwareAccelerated)
            for (; i + 64 <= bytes; i += 64) Vector512.Store(Vector512.Load(s + i), d + i);
        for (; i + 32 <= bytes; i += 32) Vector256.Store(Vector256.Load(s + i), d + i);
        if (i + 16 <= bytes) { Vector128.Store(Vector128.Load(s + i), d + i); i += 16; }
        if (i + 8 <= bytes) { *(long*)(d + i) = *(long*)(s + i); i += 8; }
        for (; i < bytes; i++) d[i] = s[i];
    }

    /// <summary>
    /// Packs a kc x nc block of B (strides <paramref name="rsb"/>, <paramref name="csb"/>) into micro-panels of
    /// <paramref name="nr"/> columns, each stored k-major (panel[p * nr + j]); columns past nc are zero.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // optimised from the first call: no tier-0 or OSR phase
    private static unsafe void PackB<T>(int kc, int nc, T* b, nint rsb, nint csb, T* dst, int nr) where T : unmanaged
    {
        for (int j0 = 0; j0 < nc; j0 += nr)
        {
            int cols = Math.Min(nr, nc - j0);
            T* d = dst + (nint)j0 * kc;
            T* src = b + j0 * csb;
            if (cols < nr)
                new Span<T>(d, kc * nr).Clear();
            if (csb == 1)
            {
                // Row-major B: each k is a contiguous run of columns, copied with inline vector moves (a Memmove call per
                // 128-byte run cost up to 15% of a product with few rows of A, e.g. a weight gradient with M = 128).
                int bytes = cols * sizeof(T);
                for (int p = 0; p < kc; p++, d += nr)
                    CopySmall((byte*)(src + p * rsb), (byte*)d, bytes);
            }
            else
            {
                // Transposed B (e.g. a linear layer's weight): walk 8 columns at a time along k (8x8 AVX transposes for
                // float: each pass writes whole 32-byte runs of the panel rows), then 4 (4x4 SSE transposes), then one.
                int j = 0;
                if (typeof(T) == typeof(float) && Avx.IsSupported && rsb == 1)
                    for (; j + 8 <= cols; j += 8)
                    {
                        int p = 0;
                        for (; p + 8 <= kc; p += 8)
                            Transpose8x8((float*)(src + j * csb + p), csb, (float*)(d + p * nr + j), nr);
                        for (; p < kc; p++)
                            for (int jj = j; jj < j + 8; jj++) d[p * nr + jj] = src[jj * csb + p];
                    }
                if (typeof(T) == typeof(float) && Sse.IsSupported && rsb == 1)
                    for (; j + 4 <= cols; j += 4)
                    {
                        int p = 0;
                        for (; p + 4 <= kc; p += 4)
                            Transpose4x4((float*)(src + j * csb + p), csb, (float*)(d + p * nr + j), nr);
                        for (; p < kc; p++)
                            for (int jj = j; jj < j + 4; jj++) d[p * nr + jj] = src[jj * csb + p];
                    }
                for (; j < cols; j++)
                {
                    T* s = src + j * csb;
                    for (int p = 0; p < kc; p++) d[p * nr + j] = s[p * rsb];
                }
            }
        }
    }

    /// <summary>
    /// Writes the transpose of the 8x8 block at <paramref name="src"/> (row stride <paramref name="srcStride"/>)
    /// to <paramref name="dst"/> (row stride <paramref name="dstStride"/>): dst[c, r] = src[r, c].
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void Transpose8x8(float* src, nint srcStride, float* dst, nint dstStride)
    {
        var r0 = Avx.LoadVector256(src);
        var r1 = Avx.LoadVector256(src + srcStride);
        var r2 = Avx.LoadVector256(src + 2 * srcStride);
        var r3 = Avx.LoadVector256(src + 3 * srcStride);
        var r4 = Avx.LoadVector256(src + 4 * srcStride);
        var r5 = Avx.LoadVector256(src + 5 * srcStride);
        var r6 = Avx.LoadVector256(src + 6 * srcStride);
        var r7 = Avx.LoadVector256(src + 7 * srcStride);
        // Interleave pairs of rows, then pairs of pairs (within 128-bit lanes), then swap lanes.
        var t0 = Avx.UnpackLow(r0, r1);
        var t1 = Avx.UnpackHigh(r0, r1);
        var t2 = Avx.UnpackLow(r2, r3);
        var t3 = Avx.UnpackHigh(r2, r3);
        var t4 = Avx.UnpackLow(r4, r5);
        var t5 = Avx.UnpackHigh(r4, r5);
        var t6 = Avx.UnpackLow(r6, r7);
        var t7 = Avx.UnpackHigh(r6, r7);
        var u0 = Avx.Shuffle(t0, t2, 0x44);
        var u1 = Avx.Shuffle(t0, t2, 0xEE);
        var u2 = Avx.Shuffle(t1, t3, 0x44);
        var u3 = Avx.Shuffle(t1, t3, 0xEE);
        var u4 = Avx.Shuffle(t4, t6, 0x44);
        var u5 = Avx.Shuffle(t4, t6, 0xEE);
        var u6 = Avx.Shuffle(t5, t7, 0x44);
        var u7 = Avx.Shuffle(t5, t7, 0xEE);
        Avx.Store(dst, Avx.Permute2x128(u0, u4, 0x20));
        Avx.Store(dst + dstStride, Avx.Permute2x128(u1, u5, 0x20));
        Avx.Store(dst + 2 * dstStride, Avx.Permute2x128(u2, u6, 0x20));
        Avx.Store(dst + 3 * dstStride, Avx.Permute2x128(u3, u7, 0x20));
        Avx.Store(dst + 4 * dstStride, Avx.Permute2x128(u0, u4, 0x31));
        Avx.Store(dst + 5 * dstStride, Avx.Permute2x128(u1, u5, 0x31));
        Avx.Store(dst + 6 * dstStride, Avx.Permute2x128(u2, u6, 0x31));
        Avx.Store(dst + 7 * dstStride, Avx.Permute2x128(u3, u7, 0x31));
    }

    /// <summary>
    /// Writes the transpose of the 4x4 block at <paramref name="src"/> (row stride <paramref name="srcStride"/>)
    /// to <paramref name="dst"/> (row stride <paramref name="dstStride"/>): dst[c, r] = src[r, c].
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void Transpose4x4(float* src, nint srcStride, float* dst, nint dstStride)
    {
        var r0 = Sse.LoadVector128(src);
        var r1 = Sse.LoadVector128(src + srcStride);
        var r2 = Sse.LoadVector128(src + 2 * srcStride);
        var r3 = Sse.LoadVector128(src + 3 * srcStride);
        var t0 = Sse.UnpackLow(r0, r1);   // r0[0] r1[0] r0[1] r1[1]
        var t1 = Sse.UnpackHigh(r0, r1);  // r0[2] r1[2] r0[3] r1[3]
        var t2 = Sse.UnpackLow(r2, r3);
        var t3 = Sse.UnpackHigh(r2, r3);
        Sse.Store(dst, Sse.MoveLowToHigh(t0, t2));                 // column 0
        Sse.Store(dst + dstStride, Sse.MoveHighToLow(t2, t0));     // column 1
        Sse.Store(dst + 2 * dstStride, Sse.MoveLowToHigh(t1, t3)); // column 2
        Sse.Store(dst + 3 * dstStride, Sse.MoveHighToLow(t3, t1)); // column 3
    }
}
