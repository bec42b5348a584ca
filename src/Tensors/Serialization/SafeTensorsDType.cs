// The element types of the safetensors format (the "dtype" strings of its JSON header) and how they map
// onto the engine's ScalarType.
namespace PluginMoE.Tensors.Serialization;

/// <summary>
/// Element type of a tensor stored in a safetensors file. The member names are the format's own dtype
/// strings (<c>"F32"</c>, <c>"BF16"</c>, ...). Types the engine stores natively (<see cref="BOOL"/>,
/// <see cref="I32"/>, <see cref="I64"/>, <see cref="F16"/>, <see cref="BF16"/>, <see cref="F32"/>,
/// <see cref="F64"/>) are read and written as they are; the others are read-only and widened losslessly
/// on load (see <see cref="SafeTensorsDTypeExtensions.LoadedAs"/>).
/// </summary>
public enum SafeTensorsDType
{
    /// <summary>Boolean, one byte per element (0 or 1).</summary>
    BOOL,
    /// <summary>Unsigned 8-bit integer (read as int32).</summary>
    U8,
    /// <summary>Signed 8-bit integer (read as int32).</summary>
    I8,
    /// <summary>8-bit float with 5 exponent and 2 mantissa bits (read as float16, exactly).</summary>
    F8_E5M2,
    /// <summary>8-bit float with 4 exponent and 3 mantissa bits, no infinities (the "fn" variant; read as float16, exactly).</summary>
    F8_E4M3,
    /// <summary>Signed 16-bit integer (read as int32).</summary>
    I16,
    /// <summary>Unsigned 16-bit integer (read as int32).</summary>
    U16,
    /// <summary>IEEE half precision.</summary>
    F16,
    /// <summary>bfloat16.</summary>
    BF16,
    /// <summary>Signed 32-bit integer.</summary>
    I32,
    /// <summary>Unsigned 32-bit integer (read as int64).</summary>
    U32,
    /// <summary>IEEE single precision.</summary>
    F32,
    /// <summary>IEEE double precision.</summary>
    F64,
    /// <summary>Signed 64-bit integer.</summary>
    I64,
    /// <summary>Unsigned 64-bit integer (read as int64; values above <see cref="long.MaxValue"/> are an error).</summary>
    U64,
}

/// <summary>Facts about <see cref="SafeTensorsDType"/> values.</summary>
public static class SafeTensorsDTypeExtensions
{
    /// <summary>Size of one element in bytes.</summary>
    public static int ElementSize(this SafeTensorsDType t) => t switch
    {
        SafeTensorsDType.BOOL or SafeTensorsDType.U8 or SafeTensorsDType.I8 or SafeTensorsDType.F8_E5M2 or SafeTensorsDType.F8_E4M3 => 1,
        SafeTensorsDType.I16 or SafeTensorsDType.U16 or SafeTensorsDType.F16 or SafeTensorsDType.BF16 => 2,
        SafeTensorsDType.I32 or SafeTensorsDType.U32 or SafeTensorsDType.F32 => 4,
        SafeTensorsDType.F64 or SafeTensorsDType.I64 or SafeTensorsDType.U64 => 8,
        _ => throw new ArgumentOutOfRangeException(nameof(t), t, "unknown safetensors dtype"),
    };

    /// <summary>The engine type a tensor of this dtype is materialised as by <see cref="SafeTensorsFile.GetTensor"/>.</summary>
    public static ScalarType LoadedAs(this SafeTensorsDType t) => t switch
    {
        SafeTensorsDType.BOOL => ScalarType.Bool,
        SafeTensorsDType.U8 or SafeTensorsDType.I8 or SafeTensorsDType.I16 or SafeTensorsDType.U16 or SafeTensorsDType.I32 => ScalarType.Int32,
        SafeTensorsDType.U32 or SafeTensorsDType.I64 or SafeTensorsDType.U64 => ScalarType.Int64,
        SafeTensorsDType.F8_E5M2 or SafeTensorsDType.F8_E4M3 or SafeTensorsDType.F16 => ScalarType.Float16,
        SafeTensorsDType.BF16 => ScalarType.BFloat16,
        SafeTensorsDType.F32 => ScalarType.Float32,
        SafeTensorsDType.F64 => ScalarType.Float64,
        _ => throw new ArgumentOutOfRangeException(nameof(t), t, "unknown safetensors dtype"),
    };

    /// <summary>The safetensors dtype that stores an engine type as it is.</summary>
    public static SafeTensorsDType ToSafeTensors(this ScalarType t) => t switch
    {
        ScalarType.Bool => SafeTensorsDType.BOOL,
        ScalarType.Int32 => SafeTensorsDType.I32,
        ScalarType.Int64 => SafeTensorsDType.I64,
        ScalarType.Float16 => SafeTensorsDType.F16,
        ScalarType.BFloat16 => SafeTensorsDType.BF16,
        ScalarType.Float32 => SafeTensorsDType.F32,
        ScalarType.Float64 => SafeTensorsDType.F64,
        _ => throw new ArgumentOutOfRangeException(nameof(t), t, "no safetensors dtype for this scalar type"),
    };

    /// <summary>The dtype string used in the header, e.g. <c>"BF16"</c>.</summary>
    public static string SpecName(this SafeTensorsDType t) => t.ToString();

    /// <summary>Parses a header dtype string (case-sensitive, as the format requires).</summary>
    public static bool TryParse(string? name, out SafeTensorsDType dtype)
    {
        foreach (var d in Enum.GetValues<SafeTensorsDType>())
            if (string.Equals(d.ToString(), name, StringComparison.Ordinal)) { dtype = d; return true; }
        dtype = default;
        return false;
    }

    /// <summary>Every dtype string the format defines, for error messages.</summary>
    internal static string AllNames => string.Join(", ", Enum.GetNames<SafeTensorsDType>());
}
