// Shared helpers for the safetensors tests: a scratch folder, raw file builders and bitwise tensor bytes.
using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;

namespace PluginMoE.Tensors.Tests.Serialization;

/// <summary>A fresh scratch folder per test class instance, deleted afterwards.</summary>
public sealed class ScratchFolder : IDisposable
{
    public ScratchFolder() => Directory.CreateDirectory(Dir);

    public string Dir { get; } = Path.Combine(Path.GetTempPath(), "pluginmoe-safetensors-" + Guid.NewGuid().ToString("N"));

    public string File(string name) => Path.Combine(Dir, name);

    /// <summary>Files in the folder other than <paramref name="keep"/> (e.g. leftover temp files).</summary>
    public string[] Others(params string[] keep) =>
        Directory.GetFileSystemEntries(Dir).Select(Path.GetFileName).Where(n => !keep.Contains(n)).ToArray()!;

    public void Dispose()
    {
        try { Directory.Delete(Dir, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}

internal static class SafeTensorsTestFiles
{
    /// <summary>8-byte little-endian length, the header text (UTF-8, as given), then the data bytes.</summary>
    public static byte[] Build(string header, int dataBytes) => Build(Encoding.UTF8.GetBytes(header), new byte[dataBytes]);

    public static byte[] Build(byte[] header, byte[] data)
    {
        var r = new byte[8 + header.Length + data.Length];
        BinaryPrimitives.WriteUInt64LittleEndian(r, (ulong)header.Length);
        header.CopyTo(r, 8);
        data.CopyTo(r, 8 + header.Length);
        return r;
    }

    /// <summary>The element bytes of a tensor in row-major order (for bitwise comparison).</summary>
    public static byte[] Bytes(Tensor t) => t.dtype switch
    {
        ScalarType.Float32 => MemoryMarshal.AsBytes(t.data<float>().AsSpan()).ToArray(),
        ScalarType.Float64 => MemoryMarshal.AsBytes(t.data<double>().AsSpan()).ToArray(),
        ScalarType.Float16 => MemoryMarshal.AsBytes(t.data<Half>().AsSpan()).ToArray(),
        ScalarType.BFloat16 => MemoryMarshal.AsBytes(t.data<BFloat16>().AsSpan()).ToArray(),
        ScalarType.Int64 => MemoryMarshal.AsBytes(t.data<long>().AsSpan()).ToArray(),
        ScalarType.Int32 => MemoryMarshal.AsBytes(t.data<int>().AsSpan()).ToArray(),
        ScalarType.Bool => MemoryMarshal.AsBytes(t.data<bool>().AsSpan()).ToArray(),
        _ => throw new NotSupportedException(t.dtype.ToString()),
    };

    /// <summary>Bit patterns of a float tensor's elements as unsigned integers (row-major).</summary>
    public static ulong[] Bits(Tensor t) => t.dtype switch
    {
        ScalarType.Float32 => t.data<float>().Select(v => (ulong)BitConverter.SingleToUInt32Bits(v)).ToArray(),
        ScalarType.Float64 => t.data<double>().Select(BitConverter.DoubleToUInt64Bits).ToArray(),
        ScalarType.Float16 => t.data<Half>().Select(v => (ulong)BitConverter.HalfToUInt16Bits(v)).ToArray(),
        ScalarType.BFloat16 => t.data<BFloat16>().Select(v => (ulong)v.Bits).ToArray(),
        _ => throw new NotSupportedException(t.dtype.ToString()),
    };

    public static Tensor F32Bits(params uint[] bits) => torch.tensor(bits.Select(BitConverter.UInt32BitsToSingle).ToArray());
    public static Tensor F64Bits(params ulong[] bits) => torch.tensor(bits.Select(BitConverter.UInt64BitsToDouble).ToArray());
    public static Tensor F16Bits(params ushort[] bits) => Tensor.Wrap(bits.Select(BitConverter.UInt16BitsToHalf).ToArray(), [bits.Length]);
    public static Tensor BF16Bits(params ushort[] bits) => Tensor.Wrap(bits.Select(b => new BFloat16(b)).ToArray(), [bits.Length]);
}
