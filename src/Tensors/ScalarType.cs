// Element types a tensor can hold; compute kernels exist for Float32/Float64 (and integer index math).
namespace PluginMoE.Tensors;

/// <summary>Element type of a tensor (PyTorch's <c>torch.dtype</c>).</summary>
public enum ScalarType
{
    /// <summary>Boolean mask, one byte per element.</summary>
    Bool,
    /// <summary>32-bit signed integer (index tensors).</summary>
    Int32,
    /// <summary>64-bit signed integer (index tensors; PyTorch's default integer type).</summary>
    Int64,
    /// <summary>IEEE half precision; storage and conversion only (no arithmetic kernels).</summary>
    Float16,
    /// <summary>bfloat16; storage and conversion only (no arithmetic kernels).</summary>
    BFloat16,
    /// <summary>IEEE single precision: the default compute type.</summary>
    Float32,
    /// <summary>IEEE double precision: used for gradient checks and reference computations.</summary>
    Float64,
}

/// <summary>Facts about <see cref="ScalarType"/> values.</summary>
public static class ScalarTypeExtensions
{
    /// <summary>Size of one element in bytes.</summary>
    public static int ElementSize(this ScalarType t) => t switch
    {
        ScalarType.Bool => 1,
        ScalarType.Int32 => 4,
        ScalarType.Int64 => 8,
        ScalarType.Float16 => 2,
        ScalarType.BFloat16 => 2,
        ScalarType.Float32 => 4,
        ScalarType.Float64 => 8,
        _ => throw new ArgumentOutOfRangeException(nameof(t), t, "unknown scalar type"),
    };

    /// <summary>True for the floating-point types (which can require gradients).</summary>
    public static bool IsFloatingPoint(this ScalarType t) =>
        t is ScalarType.Float16 or ScalarType.BFloat16 or ScalarType.Float32 or ScalarType.Float64;

    /// <summary>True for the integer types.</summary>
    public static bool IsInteger(this ScalarType t) => t is ScalarType.Int32 or ScalarType.Int64;

    /// <summary>PyTorch spelling, e.g. <c>float32</c>.</summary>
    public static string TorchName(this ScalarType t) => t switch
    {
        ScalarType.Bool => "bool",
        ScalarType.Int32 => "int32",
        ScalarType.Int64 => "int64",
        ScalarType.Float16 => "float16",
        ScalarType.BFloat16 => "bfloat16",
        ScalarType.Float32 => "float32",
        ScalarType.Float64 => "float64",
        _ => t.ToString(),
    };

    /// <summary>The CLR element type used for storage.</summary>
    internal static Type ClrType(this ScalarType t) => t switch
    {
        ScalarType.Bool => typeof(bool),
        ScalarType.Int32 => typeof(int),
        ScalarType.Int64 => typeof(long),
        ScalarType.Float16 => typeof(Half),
        ScalarType.BFloat16 => typeof(BFloat16),
        ScalarType.Float32 => typeof(float),
        ScalarType.Float64 => typeof(double),
        _ => throw new ArgumentOutOfRangeException(nameof(t)),
    };

    /// <summary>The scalar type whose storage is <typeparamref name="T"/>.</summary>
    internal static ScalarType Of<T>() where T : unmanaged
    {
        if (typeof(T) == typeof(float)) return ScalarType.Float32;
        if (typeof(T) == typeof(double)) return ScalarType.Float64;
        if (typeof(T) == typeof(long)) return ScalarType.Int64;
        if (typeof(T) == typeof(int)) return ScalarType.Int32;
        if (typeof(T) == typeof(bool)) return ScalarType.Bool;
        if (typeof(T) == typeof(Half)) return ScalarType.Float16;
        if (typeof(T) == typeof(BFloat16)) return ScalarType.BFloat16;
        throw new NotSupportedException($"no tensor scalar type stores {typeof(T).Name}");
    }

    /// <summary>Type promotion for binary ops (PyTorch order for the types we compute with).</summary>
    internal static ScalarType Promote(ScalarType a, ScalarType b)
    {
        if (a == b) return a;
        static int Rank(ScalarType t) => t switch
        {
            ScalarType.Bool => 0,
            ScalarType.Int32 => 1,
            ScalarType.Int64 => 2,
            ScalarType.Float16 => 3,
            ScalarType.BFloat16 => 3,
            ScalarType.Float32 => 4,
            ScalarType.Float64 => 5,
            _ => 0,
        };
        return Rank(a) >= Rank(b) ? a : b;
    }
}

/// <summary>bfloat16 storage element: the upper 16 bits of an IEEE float32 (round-to-nearest-even on conversion).</summary>
public readonly struct BFloat16 : IEquatable<BFloat16>
{
    /// <summary>Raw bit pattern.</summary>
    public readonly ushort Bits;

    /// <summary>Wraps a raw bit pattern.</summary>
    public BFloat16(ushort bits) => Bits = bits;

    /// <summary>Converts from float32 with round-to-nearest-even (NaN stays NaN).</summary>
    public static BFloat16 FromSingle(float f)
    {
        uint u = BitConverter.SingleToUInt32Bits(f);
        if (float.IsNaN(f)) return new BFloat16((ushort)((u >> 16) | 0x40));
        uint rounding = 0x7FFF + ((u >> 16) & 1);
        return new BFloat16((ushort)((u + rounding) >> 16));
    }

    /// <summary>Widens to float32 exactly.</summary>
    public float ToSingle() => BitConverter.UInt32BitsToSingle((uint)Bits << 16);

    /// <inheritdoc/>
    public bool Equals(BFloat16 other) => Bits == other.Bits;
    /// <inheritdoc/>
    public override bool Equals(object? obj) => obj is BFloat16 b && Equals(b);
    /// <inheritdoc/>
    public override int GetHashCode() => Bits;
    /// <inheritdoc/>
    public override string ToString() => ToSingle().ToString(System.Globalization.CultureInfo.InvariantCulture);
    /// <summary>Bitwise equality.</summary>
    public static bool operator ==(BFloat16 a, BFloat16 b) => a.Bits == b.Bits;
    /// <summary>Bitwise inequality.</summary>
    public static bool operator !=(BFloat16 a, BFloat16 b) => a.Bits != b.Bits;
}
