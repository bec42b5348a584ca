// One float32 exp and sigmoid for every CPU kernel: Cody-Waite range reduction x = k ln2 + r (|r| <= ln2/2, ln2 split
// in a high and a low part, the high part times k exact through FMA), exp(r) = 1 + r + r^2 P(r) with P of degree 4
// (a near-minimax fit on |r| <= ln2/2, tools/numerics/fit_exp_poly.py, 0.03 ulp before float32 rounding), and
// 2^k applied as two exact powers of two, so that results in the subnormal range are rounded once. The same operation
// sequence runs on Vector512, Vector256, Vector128 and scalars, so the three give bitwise equal results.
using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace PluginMoE.Tensors.Backends;

/// <summary>
/// Float32 <c>exp</c> and <c>sigmoid</c> on Vector512 (where the hardware accelerates it), Vector256, Vector128 (machines
/// without 256-bit vectors, e.g. ARM64 NEON) and scalar tails.
/// Accuracy, measured against float64 <see cref="Math.Exp"/> over every 1021st finite float32 of both signs (about 4.2
/// million values; tests: VectorMathTests): exp within 1 ulp (0.94 at worst), sigmoid within 2.5 ulp (2.23 at worst).
/// Edge cases: exp(-inf) = 0, exp(+inf) = +inf, NaN -> NaN, x above ln(float.MaxValue) ~ 88.7228 -> +inf,
/// x below ~ -103.972 -> 0, subnormal results rounded once, exp(-0) = 1. TensorPrimitives' float32 exp widens to
/// float64 (1.5x the CPU time in L1, bench --exp-kernels); float64 spans still go through it.
/// </summary>
internal static class VectorMath
{
    private const float Log2E = 1.44269504f;
    private const float Ln2Hi = 0.693145752f;     // 0x3F317200: ln 2 with its low 9 mantissa bits zero
    private const float Ln2Lo = 1.42860677e-6f;   // ln 2 - Ln2Hi
    private const float RoundMagic = 12582912f;   // 1.5 * 2^23: adding it rounds |v| < 2^22 to an integer (nearest even)
    private const int RoundMagicBits = 0x4B400000;
    private const float ClampHi = 89f;            // exp(89) overflows; k stays 128 at most
    private const float ClampLo = -104f;          // exp(-104) < 2^-150 rounds to 0; k stays -150 at least
    // P(r) = (exp(r) - 1 - r) / r^2 on |r| <= ln2/2.
    private const float P0 = 4.999999404e-01f;
    private const float P1 = 1.666652113e-01f;
    private const float P2 = 4.166838899e-02f;
    private const float P3 = 8.368710056e-03f;
    private const float P4 = 1.381461043e-03f;

    /// <summary>exp of 16 floats.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Exp(Vector512<float> x)
    {
        var z = Vector512.MinNative(Vector512.MaxNative(x, Vector512.Create(ClampLo)), Vector512.Create(ClampHi));
        var t = z * Vector512.Create(Log2E) + Vector512.Create(RoundMagic);
        var kf = t - Vector512.Create(RoundMagic);                                          // round(z / ln2)
        var k = t.AsInt32() - Vector512.Create(RoundMagicBits);
        var r = Vector512.FusedMultiplyAdd(kf, Vector512.Create(-Ln2Hi), z);
        r = Vector512.FusedMultiplyAdd(kf, Vector512.Create(-Ln2Lo), r);
        var p = Vector512.FusedMultiplyAdd(Vector512.Create(P4), r, Vector512.Create(P3));
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(P2));
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(P1));
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(P0));
        p = Vector512.FusedMultiplyAdd(p, r * r, r) + Vector512<float>.One;                   // exp(r)
        var k1 = Vector512.ShiftRightArithmetic(k, 1);
        var s1 = Vector512.ShiftLeft(k1 + Vector512.Create(127), 23).AsSingle();          // 2^(k >> 1)
        var s2 = Vector512.ShiftLeft(k - k1 + Vector512.Create(127), 23).AsSingle();      // 2^(k - (k >> 1))
        var y = p * s1 * s2;
        return Vector512.ConditionalSelect(Vector512.Equals(x, x), y, x);                  // NaN in, NaN out
    }

    /// <summary>exp of 8 floats (the operations of the Vector512 overload).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Exp(Vector256<float> x)
    {
        var z = Vector256.MinNative(Vector256.MaxNative(x, Vector256.Create(ClampLo)), Vector256.Create(ClampHi));
        var t = z * Vector256.Create(Log2E) + Vector256.Create(RoundMagic);
        var kf = t - Vector256.Create(RoundMagic);
        var k = t.AsInt32() - Vector256.Create(RoundMagicBits);
        var r = Vector256.FusedMultiplyAdd(kf, Vector256.Create(-Ln2Hi), z);
        r = Vector256.FusedMultiplyAdd(kf, Vector256.Create(-Ln2Lo), r);
        var p = Vector256.FusedMultiplyAdd(Vector256.Create(P4), r, Vector256.Create(P3));
        p = Vector256.FusedMultiplyAdd(p, r, Vector256.Create(P2));
        p = Vector256.FusedMultiplyAdd(p, r, Vector256.Create(P1));
        p = Vector256.FusedMultiplyAdd(p, r, Vector256.Create(P0));
        p = Vector256.FusedMultiplyAdd(p, r * r, r) + Vector256<float>.One;
        var k1 = Vector256.ShiftRightArithmetic(k, 1);
        var s1 = Vector256.ShiftLeft(k1 + Vector256.Create(127), 23).AsSingle();
        var s2 = Vector256.ShiftLeft(k - k1 + Vector256.Create(127), 23).AsSingle();
        var y = p * s1 * s2;
        return Vector256.ConditionalSelect(Vector256.Equals(x, x), y, x);
    }

    /// <summary>exp of 4 floats (ARM64 NEON, SSE) (the operations of the Vector512 overload).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Exp(Vector128<float> x)
    {
        var z = Vector128.MinNative(Vector128.MaxNative(x, Vector128.Create(ClampLo)), Vector128.Create(ClampHi));
        var t = z * Vector128.Create(Log2E) + Vector128.Create(RoundMagic);
        var kf = t - Vector128.Create(RoundMagic);
        var k = t.AsInt32() - Vector128.Create(RoundMagicBits);
        var r = Vector128.FusedMultiplyAdd(kf, Vector128.Create(-Ln2Hi), z);
        r = Vector128.FusedMultiplyAdd(kf, Vector128.Create(-Ln2Lo), r);
        var p = Vector128.FusedMultiplyAdd(Vector128.Create(P4), r, Vector128.Create(P3));
        p = Vector128.FusedMultiplyAdd(p, r, Vector128.Create(P2));
        p = Vector128.FusedMultiplyAdd(p, r, Vector128.Create(P1));
        p = Vector128.FusedMultiplyAdd(p, r, Vector128.Create(P0));
        p = Vector128.FusedMultiplyAdd(p, r * r, r) + Vector128<float>.One;
        var k1 = Vector128.ShiftRightArithmetic(k, 1);
        var s1 = Vector128.ShiftLeft(k1 + Vector128.Create(127), 23).AsSingle();
        var s2 = Vector128.ShiftLeft(k - k1 + Vector128.Create(127), 23).AsSingle();
        var y = p * s1 * s2;
        return Vector128.ConditionalSelect(Vector128.Equals(x, x), y, x);
    }

    /// <summary>exp of one float (the operations of the vector overloads, so tails match the vector lanes bitwise).</summary>
    public static float Exp(float x)
    {
        if (float.IsNaN(x)) return x;
        float z = MathF.Min(MathF.Max(x, ClampLo), ClampHi);
        float t = z * Log2E + RoundMagic;
        float kf = t - RoundMagic;
        int k = BitConverter.SingleToInt32Bits(t) - RoundMagicBits;
        float r = MathF.FusedMultiplyAdd(kf, -Ln2Hi, z);
        r = MathF.FusedMultiplyAdd(kf, -Ln2Lo, r);
        float p = MathF.FusedMultiplyAdd(P4, r, P3);
        p = MathF.FusedMultiplyAdd(p, r, P2);
        p = MathF.FusedMultiplyAdd(p, r, P1);
        p = MathF.FusedMultiplyAdd(p, r, P0);
        p = MathF.FusedMultiplyAdd(p, r * r, r) + 1f;
        int k1 = k >> 1;
        float s1 = BitConverter.Int32BitsToSingle((k1 + 127) << 23);
        float s2 = BitConverter.Int32BitsToSingle((k - k1 + 127) << 23);
        return p * s1 * s2;
    }

    /// <summary>1 / (1 + exp(-x)) of 16 floats, as 1 / (1 + e) for x >= 0 and e / (1 + e) below, e = exp(-|x|) (no overflow, subnormal tail kept, one division).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Sigmoid(Vector512<float> x)
    {
        var e = Exp(-Vector512.Abs(x));
        var num = Vector512.ConditionalSelect(Vector512.GreaterThanOrEqual(x, Vector512<float>.Zero), Vector512<float>.One, e);
        return num / (Vector512<float>.One + e);
    }

    /// <summary>Sigmoid of 8 floats (the operations of the Vector512 overload).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Sigmoid(Vector256<float> x)
    {
        var e = Exp(-Vector256.Abs(x));
        var num = Vector256.ConditionalSelect(Vector256.GreaterThanOrEqual(x, Vector256<float>.Zero), Vector256<float>.One, e);
        return num / (Vector256<float>.One + e);
    }

    /// <summary>Sigmoid of 4 floats (ARM64 NEON, SSE) (the operations of the Vector512 overload).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Sigmoid(Vector128<float> x)
    {
        var e = Exp(-Vector128.Abs(x));
        var num = Vector128.ConditionalSelect(Vector128.GreaterThanOrEqual(x, Vector128<float>.Zero), Vector128<float>.One, e);
        return num / (Vector128<float>.One + e);
    }

    /// <summary>Sigmoid of one float (the operations of the vector overloads).</summary>
    public static float Sigmoid(float x)
    {
        float e = Exp(-MathF.Abs(x));
        return (x >= 0f ? 1f : e) / (1f + e);
    }

    /// <summary>y = exp(x) element-wise (x and y may be the same span).</summary>
    public static void Exp(ReadOnlySpan<float> x, Span<float> y)
    {
        if (y.Length < x.Length) throw new ArgumentException($"exp: destination has {y.Length} elements, source {x.Length}", nameof(y));
        ref float xr = ref MemoryMarshal.GetReference(x);
        ref float yr = ref MemoryMarshal.GetReference(y);
        int n = x.Length, i = 0;
        if (Vector512.IsHardwareAccelerated)
            for (; i <= n - Vector512<float>.Count; i += Vector512<float>.Count)
                Exp(Vector512.LoadUnsafe(ref xr, (nuint)i)).StoreUnsafe(ref yr, (nuint)i);
        else if (Vector256.IsHardwareAccelerated)
            for (; i <= n - Vector256<float>.Count; i += Vector256<float>.Count)
                Exp(Vector256.LoadUnsafe(ref xr, (nuint)i)).StoreUnsafe(ref yr, (nuint)i);
        else if (Vector128.IsHardwareAccelerated)
            for (; i <= n - Vector128<float>.Count; i += Vector128<float>.Count)
                Exp(Vector128.LoadUnsafe(ref xr, (nuint)i)).StoreUnsafe(ref yr, (nuint)i);
        for (; i < n; i++) Unsafe.Add(ref yr, i) = Exp(Unsafe.Add(ref xr, i));
    }

    /// <summary>y = sigmoid(x) element-wise (x and y may be the same span).</summary>
    public static void Sigmoid(ReadOnlySpan<float> x, Span<float> y)
    {
        if (y.Length < x.Length) throw new ArgumentException($"sigmoid: destination has {y.Length} elements, source {x.Length}", nameof(y));
        ref float xr = ref MemoryMarshal.GetReference(x);
        ref float yr = ref MemoryMarshal.GetReference(y);
        int n = x.Length, i = 0;
        if (Vector512.IsHardwareAccelerated)
            for (; i <= n - Vector512<float>.Count; i += Vector512<float>.Count)
                Sigmoid(Vector512.LoadUnsafe(ref xr, (nuint)i)).StoreUnsafe(ref yr, (nuint)i);
        else if (Vector256.IsHardwareAccelerated)
            for (; i <= n - Vector256<float>.Count; i += Vector256<float>.Count)
                Sigmoid(Vector256.LoadUnsafe(ref xr, (nuint)i)).StoreUnsafe(ref yr, (nuint)i);
        else if (Vector128.IsHardwareAccelerated)
            for (; i <= n - Vector128<float>.Count; i += Vector128<float>.Count)
                Sigmoid(Vector128.LoadUnsafe(ref xr, (nuint)i)).StoreUnsafe(ref yr, (nuint)i);
        for (; i < n; i++) Unsafe.Add(ref yr, i) = Sigmoid(Unsafe.Add(ref xr, i));
    }

    /// <summary>y = exp(x): float32 through this type, other types through TensorPrimitives.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Exp<T>(ReadOnlySpan<T> x, Span<T> y) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (typeof(T) == typeof(float)) Exp(MemoryMarshal.Cast<T, float>(x), MemoryMarshal.Cast<T, float>(y));
        else TensorPrimitives.Exp(x, y);
    }

    /// <summary>y = sigmoid(x): float32 through this type, other types through TensorPrimitives.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Sigmoid<T>(ReadOnlySpan<T> x, Span<T> y) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (typeof(T) == typeof(float)) Sigmoid(MemoryMarshal.Cast<T, float>(x), MemoryMarshal.Cast<T, float>(y));
        else TensorPrimitives.Sigmoid(x, y);
    }

    /// <summary>exp(x) of one value: float32 through this type, other types through <c>T.Exp</c>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T Exp<T>(T x) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (typeof(T) == typeof(float)) { float f = Exp(Unsafe.As<T, float>(ref x)); return Unsafe.As<float, T>(ref f); }
        return T.Exp(x);
    }
}
