// Reader for safetensors files: maps the file, validates the header, and materialises tensors on demand.
using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace PluginMoE.Tensors.Serialization;

/// <summary>
/// An open safetensors file (or in-memory buffer). <see cref="Open"/> memory-maps the file and validates the
/// whole header up front (see <see cref="SafeTensorsFormatException"/>); tensor data is read only when
/// <see cref="GetTensor"/> copies it into a new tensor, so opening a large checkpoint is cheap and loading
/// one tensor touches only its pages.
/// </summary>
/// <remarks>
/// Tensors are listed in file order: by data offset, with empty tensors that share an offset in header
/// order. For files written by <see cref="SafeTensors.Save(string, IEnumerable{KeyValuePair{string, Tensor}}, IReadOnlyDictionary{string, string}?, ScalarType?)"/>
/// that is the writer's order (see there). Reading tensors from several threads at once is safe;
/// disposing while another thread reads is not.
/// </remarks>
public sealed class SafeTensorsFile : IDisposable
{
    private readonly ByteSource _source;
    private readonly Dictionary<string, SafeTensorInfo> _byName;
    private readonly string[] _names;

    private SafeTensorsFile(ByteSource source, string path)
    {
        _source = source;
        Path = path;
        long total = source.Length;
        ReadOnlySpan<byte> prefix = total >= 8 ? source.Span(0, 8) : default;
        long n = SafeTensorsHeader.ReadHeaderLength(prefix, total, path);
        // n is now known to be <= 100 MB and <= the bytes actually present, so this allocation is bounded.
        var headerBytes = source.Span(8, (int)n).ToArray();
        HeaderLength = n;
        DataStart = 8 + n;
        var header = SafeTensorsHeader.Parse(headerBytes, DataStart, total - DataStart, path);
        Tensors = header.Tensors;
        Metadata = header.Metadata;
        _names = Tensors.Select(t => t.Name).ToArray();
        _byName = Tensors.ToDictionary(t => t.Name, StringComparer.Ordinal);
    }

    /// <summary>Opens and validates a safetensors file, memory-mapping it read-only.</summary>
    /// <exception cref="SafeTensorsFormatException">The file is not a valid safetensors file.</exception>
    /// <exception cref="FileNotFoundException">There is no such file.</exception>
    public static SafeTensorsFile Open(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var fs = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete, bufferSize: 1);
        ByteSource? source = null;
        try
        {
            long length = fs.Length;
            if (length == 0)
            {
                fs.Dispose(); // an empty file cannot be mapped; report it as too short
                source = new ArrayByteSource([]);
            }
            else source = new MappedByteSource(fs, length);
            return new SafeTensorsFile(source, path);
        }
        catch
        {
            if (source is null) fs.Dispose();
            else source.Dispose();
            throw;
        }
    }

    /// <summary>Validates a safetensors image held in memory (no copy of <paramref name="data"/> is made).</summary>
    /// <param name="data">The bytes of a safetensors file; must not change while the reader is in use.</param>
    /// <param name="sourceName">Name used for the buffer in error messages.</param>
    /// <exception cref="SafeTensorsFormatException">The buffer is not valid safetensors.</exception>
    public static SafeTensorsFile FromBytes(byte[] data, string sourceName = "<memory>")
    {
        ArgumentNullException.ThrowIfNull(data);
        return new SafeTensorsFile(new ArrayByteSource(data), sourceName);
    }

    /// <summary>The file path (or buffer name) this reader was opened on.</summary>
    public string Path { get; }

    /// <summary>Length in bytes of the JSON header (including its padding).</summary>
    public long HeaderLength { get; }

    /// <summary>Absolute file offset of the data buffer (8 + <see cref="HeaderLength"/>).</summary>
    public long DataStart { get; }

    /// <summary>The <c>__metadata__</c> string map (empty when the file has none).</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }

    /// <summary>Every tensor's entry, in file order (by data offset).</summary>
    public IReadOnlyList<SafeTensorInfo> Tensors { get; }

    /// <summary>Tensor names in file order (by data offset).</summary>
    public IReadOnlyList<string> Names => _names;

    /// <summary>Number of tensors.</summary>
    public int Count => _names.Length;

    /// <summary>True when the file holds a tensor of this name.</summary>
    public bool Contains(string name) => _byName.ContainsKey(name);

    /// <summary>The entry of one tensor.</summary>
    /// <exception cref="KeyNotFoundException">No tensor has this name (the message lists a few that exist).</exception>
    public SafeTensorInfo GetInfo(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (_byName.TryGetValue(name, out var info)) return info;
        var some = string.Join(", ", _names.Take(8).Select(n => $"'{n}'")) + (_names.Length > 8 ? $", ... ({_names.Length} in all)" : "");
        throw new KeyNotFoundException($"safetensors file '{Path}' has no tensor '{name}'; it holds {(_names.Length == 0 ? "no tensors" : some)}");
    }

    /// <summary>
    /// Copies one tensor out of the file into a new contiguous tensor. Engine types are returned as stored;
    /// the read-only integer and fp8 types are widened losslessly (see <see cref="SafeTensorsDTypeExtensions.LoadedAs"/>).
    /// </summary>
    /// <param name="name">Tensor name.</param>
    /// <param name="dtype">Convert to this type after loading (e.g. <see cref="ScalarType.Float32"/> for bf16 weights); null keeps the stored type.</param>
    /// <exception cref="KeyNotFoundException">No tensor has this name.</exception>
    /// <exception cref="SafeTensorsFormatException">The data are invalid for the dtype (a BOOL byte other than 0/1, a U64 above <see cref="long.MaxValue"/>).</exception>
    /// <exception cref="NotSupportedException">The tensor has more elements, or a dimension larger, than the engine supports (<see cref="int.MaxValue"/>).</exception>
    public Tensor GetTensor(string name, ScalarType? dtype = null)
    {
        var info = GetInfo(name);
        if (info.Numel > int.MaxValue)
            throw new NotSupportedException(
                $"safetensors file '{Path}', tensor '{name}': shape [{string.Join(", ", info.Shape)}] has {info.Numel} elements; the engine supports at most {int.MaxValue}");
        // An empty tensor can still name a dimension the engine cannot hold (shape [0, 2^40]): say which one.
        int big = Array.FindIndex(info.ShapeArray(), d => d > int.MaxValue);
        if (big >= 0)
            throw new NotSupportedException(
                $"safetensors file '{Path}', tensor '{name}': shape [{string.Join(", ", info.Shape)}] has dimension {big} of size {info.Shape[big]}; the engine supports dimensions of at most {int.MaxValue}");
        var sizes = info.Shape.Select(d => (int)d).ToArray();
        var t = Tensor.Empty(info.ScalarType, sizes);
        int n = (int)info.Numel;
        long at = info.FileOffset;
        switch (info.DType)
        {
            case SafeTensorsDType.F32: CopyRaw(t.StorageAs<float>(), n, at); break;
            case SafeTensorsDType.F64: CopyRaw(t.StorageAs<double>(), n, at); break;
            case SafeTensorsDType.F16: CopyRaw(t.StorageAs<Half>(), n, at); break;
            case SafeTensorsDType.BF16: CopyRaw(t.StorageAs<BFloat16>(), n, at); break;
            case SafeTensorsDType.I64: CopyRaw(t.StorageAs<long>(), n, at); break;
            case SafeTensorsDType.I32: CopyRaw(t.StorageAs<int>(), n, at); break;
            case SafeTensorsDType.BOOL: ReadBool(t.StorageAs<bool>(), n, at, name); break;
            default: ReadWidened(info, t, n, at); break;
        }
        return dtype is { } d2 ? t.to(d2) : t;
    }

    /// <summary>Materialises every tensor, in file order.</summary>
    /// <param name="dtype">Convert every tensor to this type; null keeps the stored types.</param>
    public OrderedDictionary<string, Tensor> LoadAll(ScalarType? dtype = null)
    {
        var r = new OrderedDictionary<string, Tensor>(_names.Length, StringComparer.Ordinal);
        foreach (var n in _names) r.Add(n, GetTensor(n, dtype));
        return r;
    }

    /// <summary>Releases the mapping.</summary>
    public void Dispose() => _source.Dispose();

    // ------------------------------------------------------------------ copying out of the source

    private const int ChunkBytes = 1 << 26; // spans are int-sized, so copy large tensors in pieces

    private void CopyRaw<T>(T[] dst, int n, long at) where T : unmanaged
    {
        if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("safetensors I/O needs a little-endian machine");
        int size = System.Runtime.CompilerServices.Unsafe.SizeOf<T>();
        int chunk = ChunkBytes / size;
        for (int i = 0; i < n; i += chunk)
        {
            int m = Math.Min(chunk, n - i);
            _source.Span(at + (long)i * size, m * size).CopyTo(MemoryMarshal.AsBytes(dst.AsSpan(i, m)));
        }
    }

    private void ReadBool(bool[] dst, int n, long at, string name)
    {
        for (int i = 0; i < n; i += ChunkBytes)
        {
            int m = Math.Min(ChunkBytes, n - i);
            var src = _source.Span(at + i, m);
            int bad = src.IndexOfAnyExcept((byte)0, (byte)1);
            if (bad >= 0)
                throw new SafeTensorsFormatException(Path, name,
                    $"BOOL element {i + bad} is byte 0x{src[bad]:X2}; BOOL elements must be 0 or 1");
            src.CopyTo(MemoryMarshal.AsBytes(dst.AsSpan(i, m)));
        }
    }

    private void ReadWidened(SafeTensorInfo info, Tensor t, int n, long at)
    {
        int size = info.DType.ElementSize();
        int chunk = ChunkBytes / size;
        for (int i = 0; i < n; i += chunk)
        {
            int m = Math.Min(chunk, n - i);
            var s = _source.Span(at + (long)i * size, m * size);
            switch (info.DType)
            {
                case SafeTensorsDType.U8: { var d = t.StorageAs<int>(); for (int k = 0; k < m; k++) d[i + k] = s[k]; break; }
                case SafeTensorsDType.I8: { var d = t.StorageAs<int>(); for (int k = 0; k < m; k++) d[i + k] = (sbyte)s[k]; break; }
                case SafeTensorsDType.I16: { var d = t.StorageAs<int>(); for (int k = 0; k < m; k++) d[i + k] = BinaryPrimitives.ReadInt16LittleEndian(s[(2 * k)..]); break; }
                case SafeTensorsDType.U16: { var d = t.StorageAs<int>(); for (int k = 0; k < m; k++) d[i + k] = BinaryPrimitives.ReadUInt16LittleEndian(s[(2 * k)..]); break; }
                case SafeTensorsDType.U32: { var d = t.StorageAs<long>(); for (int k = 0; k < m; k++) d[i + k] = BinaryPrimitives.ReadUInt32LittleEndian(s[(4 * k)..]); break; }
                case SafeTensorsDType.U64:
                {
                    var d = t.StorageAs<long>();
                    for (int k = 0; k < m; k++)
                    {
                        ulong v = BinaryPrimitives.ReadUInt64LittleEndian(s[(8 * k)..]);
                        if (v > long.MaxValue)
                            throw new SafeTensorsFormatException(Path, info.Name, $"U64 element {i + k} is {v}, which does not fit the int64 the engine loads U64 as");
                        d[i + k] = (long)v;
                    }
                    break;
                }
                case SafeTensorsDType.F8_E5M2: { var d = t.StorageAs<Half>(); for (int k = 0; k < m; k++) d[i + k] = BitConverter.UInt16BitsToHalf((ushort)(s[k] << 8)); break; }
                case SafeTensorsDType.F8_E4M3: { var d = t.StorageAs<Half>(); for (int k = 0; k < m; k++) d[i + k] = Fp8E4M3ToHalf(s[k]); break; }
                default: throw new NotSupportedException($"safetensors dtype {info.DType} cannot be loaded");
            }
        }
    }

    /// <summary>Decodes an fp8 E4M3 ("fn": bias 7, no infinities, S.1111.111 is NaN) value; every value is exact in float16.</summary>
    internal static Half Fp8E4M3ToHalf(byte b)
    {
        int sign = b >> 7, exp = (b >> 3) & 0xF, man = b & 7;
        if (exp == 0xF && man == 7) return Half.NaN;
        double mag = exp == 0 ? man * Math.Pow(2, -9) : (1 + man / 8.0) * Math.Pow(2, exp - 7);
        return (Half)(sign != 0 ? -mag : mag);
    }
}
