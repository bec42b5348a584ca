// Register-blocked inner loops of the fused attention kernels: four dot products sharing one query row, and
// one accumulator row updated with four scaled rows, so each load/store of the shared row serves four keys.
using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace PluginMoE.Tensors.Backends;

public sealed partial class CpuBackend
{
    /// <summary>dst[c] = a . rows[c] for the <c>dst.Length</c> rows starting at <paramref name="first"/> of <paramref name="rows"/>.</summary>
    private static void DotRows<T>(ReadOnlySpan<T> a, RowView<T> rows, int b, int h, int first, Span<T> dst)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int n = dst.Length, c = 0;
        if (Vector256.IsHardwareAccelerated && Vector256<T>.IsSupported && a.Length >= Vector256<T>.Count)
        {
            for (; c + 4 <= n; c += 4)
            {
                var (d0, d1, d2, d3) = Dot4(a, rows.Row(b, h, first + c), rows.Row(b, h, first + c + 1), rows.Row(b, h, first + c + 2), rows.Row(b, h, first + c + 3));
                dst[c] = d0; dst[c + 1] = d1; dst[c + 2] = d2; dst[c + 3] = d3;
            }
        }
        for (; c < n; c++) dst[c] = TensorPrimitives.Dot(a, rows.Row(b, h, first + c));
    }

    /// <summary>acc += sum_c w[c] * rows[first + c].</summary>
    private static void AxpyRows<T>(Span<T> acc, ReadOnlySpan<T> w, RowView<T> rows, int b, int h, int first)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int n = w.Length, c = 0;
        if (Vector256.IsHardwareAccelerated && Vector256<T>.IsSupported && acc.Length >= Vector256<T>.Count)
        {
            for (; c + 4 <= n; c += 4)
                Axpy4(acc, w[c], rows.Row(b, h, first + c), w[c + 1], rows.Row(b, h, first + c + 1),
                    w[c + 2], rows.Row(b, h, first + c + 2), w[c + 3], rows.Row(b, h, first + c + 3));
        }
        for (; c < n; c++) TensorPrimitives.MultiplyAdd(rows.Row(b, h, first + c), w[c], acc, acc);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static (T, T, T, T) Dot4<T>(ReadOnlySpan<T> a, ReadOnlySpan<T> r0, ReadOnlySpan<T> r1, ReadOnlySpan<T> r2, ReadOnlySpan<T> r3)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int n = a.Length, w = Vector256<T>.Count, i = 0;
        ref T pa = ref MemoryMarshal.GetReference(a);
        ref T p0 = ref MemoryMarshal.GetReference(r0);
        ref T p1 = ref MemoryMarshal.GetReference(r1);
        ref T p2 = ref MemoryMarshal.GetReference(r2);
        ref T p3 = ref MemoryMarshal.GetReference(r3);
        Vector256<T> s0 = default, s1 = default, s2 = default, s3 = default;
        for (; i + w <= n; i += w)
        {
            var va = Vector256.LoadUnsafe(ref pa, (nuint)i);
            s0 += va * Vector256.LoadUnsafe(ref p0, (nuint)i);
            s1 += va * Vector256.LoadUnsafe(ref p1, (nuint)i);
            s2 += va * Vector256.LoadUnsafe(ref p2, (nuint)i);
            s3 += va * Vector256.LoadUnsafe(ref p3, (nuint)i);
        }
        T d0 = Vector256.Sum(s0), d1 = Vector256.Sum(s1), d2 = Vector256.Sum(s2), d3 = Vector256.Sum(s3);
        for (; i < n; i++)
        {
            T x = Unsafe.Add(ref pa, i);
            d0 += x * Unsafe.Add(ref p0, i);
            d1 += x * Unsafe.Add(ref p1, i);
            d2 += x * Unsafe.Add(ref p2, i);
            d3 += x * Unsafe.Add(ref p3, i);
        }
        return (d0, d1, d2, d3);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Axpy4<T>(Span<T> acc, T w0, ReadOnlySpan<T> r0, T w1, ReadOnlySpan<T> r1, T w2, ReadOnlySpan<T> r2, T w3, ReadOnlySpan<T> r3)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int n = acc.Length, w = Vector256<T>.Count, i = 0;
        ref T pa = ref MemoryMarshal.GetReference(acc);
        ref T p0 = ref MemoryMarshal.GetReference(r0);
        ref T p1 = ref MemoryMarshal.GetReference(r1);
        ref T p2 = ref MemoryMarshal.GetReference(r2);
        ref T p3 = ref MemoryMarshal.GetReference(r3);
        Vector256<T> v0 = Vector256.Create(w0), v1 = Vector256.Create(w1), v2 = Vector256.Create(w2), v3 = Vector256.Create(w3);
        for (; i + w <= n; i += w)
        {
            var s = Vector256.LoadUnsafe(ref pa, (nuint)i)
                + v0 * Vector256.LoadUnsafe(ref p0, (nuint)i) + v1 * Vector256.LoadUnsafe(ref p1, (nuint)i)
                + v2 * Vector256.LoadUnsafe(ref p2, (nuint)i) + v3 * Vector256.LoadUnsafe(ref p3, (nuint)i);
            s.StoreUnsafe(ref pa, (nuint)i);
        }
        for (; i < n; i++)
            Unsafe.Add(ref pa, i) += w0 * Unsafe.Add(ref p0, i) + w1 * Unsafe.Add(ref p1, i) + w2 * Unsafe.Add(ref p2, i) + w3 * Unsafe.Add(ref p3, i);
    }
}
