// Saving and loading named tensors in the safetensors format (huggingface/safetensors): an 8-byte
// little-endian header length N, N bytes of UTF-8 JSON header, then the row-major little-endian data.
using System.Buffers;
using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text.Json;

namespace PluginMoE.Tensors.Serialization;

/// <summary>
/// Reads and writes safetensors checkpoints. Files are written atomically (temp file, flush, rename) and
/// read through <see cref="SafeTensorsFile"/>, which memory-maps them and validates every header field.
/// </summary>
/// <remarks>
/// <para><b>Layout written.</b> Tensors are laid out like the reference writer does: by element size,
/// largest first (in the reference dtype order U64, I64, F64, F32, I32, BF16, F16, BOOL), then by name
/// (ordinal). The caller's order is not kept: with the header padded to a multiple of 8 bytes with spaces,
/// this order puts every tensor at an offset that is a multiple of its element size, so zero-copy readers
/// (NumPy, <c>torch.frombuffer</c>, memory-mapping loaders) can view the data directly. The header lists
/// <c>__metadata__</c> first (keys sorted), then the tensors in data order, as compact JSON.</para>
/// <para><b>Accepted on read.</b> Headers with any key order and trailing whitespace padding. Tensor byte
/// ranges must tile the data buffer exactly (no gaps, overlaps or trailing bytes), as the reference
/// implementation requires. Unknown entry fields are ignored.</para>
/// </remarks>
public static class SafeTensors
{
    /// <summary>
    /// Writes tensors to <paramref name="path"/> atomically: the data go to a hidden temp file in the same
    /// folder, which is flushed to disk and then renamed over <paramref name="path"/>. A crash or an error
    /// leaves any existing file untouched and no temp file behind.
    /// </summary>
    /// <param name="path">Target file; replaced if it exists.</param>
    /// <param name="tensors">Named tensors (any layout; non-contiguous views are written in row-major order). Names must be unique and not <c>__metadata__</c>.</param>
    /// <param name="metadata">Optional string map stored as the header's <c>__metadata__</c>.</param>
    /// <param name="floatDType">Store every floating tensor as this floating type (e.g. <see cref="ScalarType.BFloat16"/> to halve a checkpoint); null keeps each tensor's type. Integer and bool tensors are never converted.</param>
    /// <exception cref="ArgumentException">Duplicate or reserved names, or a non-floating <paramref name="floatDType"/>.</exception>
    public static void Save(string path, IEnumerable<KeyValuePair<string, Tensor>> tensors,
        IReadOnlyDictionary<string, string>? metadata = null, ScalarType? floatDType = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var plan = Plan(tensors, floatDType);
        AtomicFile.Write(path, s => WritePlan(s, plan, metadata));
    }

    /// <summary>
    /// Writes tensors produced on demand to <paramref name="path"/> atomically (as the other overload): the header is
    /// written from the declared shapes and types, then each tensor is produced, written and released before the next
    /// one, so the writer holds one tensor at a time (plus whatever <see cref="DeferredTensor.Produce"/> keeps).
    /// </summary>
    /// <param name="path">Target file; replaced if it exists.</param>
    /// <param name="tensors">The tensors with their shapes and types. Names must be unique and not <c>__metadata__</c>.</param>
    /// <param name="metadata">Optional string map stored as the header's <c>__metadata__</c>.</param>
    /// <param name="floatDType">Store every floating tensor as this floating type; null keeps each tensor's type.</param>
    /// <exception cref="ArgumentException">Duplicate or reserved names, or a non-floating <paramref name="floatDType"/>.</exception>
    /// <exception cref="InvalidOperationException">A producer returned a tensor of another shape or type than declared (no file is left behind).</exception>
    public static void Save(string path, IEnumerable<DeferredTensor> tensors,
        IReadOnlyDictionary<string, string>? metadata = null, ScalarType? floatDType = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(tensors);
        var plan = Plan(tensors, floatDType);
        AtomicFile.Write(path, s => WritePlan(s, plan, metadata));
    }

    /// <summary>Writes tensors in safetensors format to a stream (not atomic; see <see cref="Save(string, IEnumerable{KeyValuePair{string, Tensor}}, IReadOnlyDictionary{string, string}?, ScalarType?)"/> for files).</summary>
    /// <param name="stream">Destination, written from its current position.</param>
    /// <param name="tensors">Named tensors (any layout); names must be unique and not <c>__metadata__</c>.</param>
    /// <param name="metadata">Optional string map stored as the header's <c>__metadata__</c>.</param>
    /// <param name="floatDType">Store every floating tensor as this floating type; null keeps each tensor's type.</param>
    public static void Write(Stream stream, IEnumerable<KeyValuePair<string, Tensor>> tensors,
        IReadOnlyDictionary<string, string>? metadata = null, ScalarType? floatDType = null)
    {
        ArgumentNullException.ThrowIfNull(stream);
        WritePlan(stream, Plan(tensors, floatDType), metadata);
    }

    /// <summary>The bytes of a safetensors file holding the tensors.</summary>
    /// <param name="tensors">Named tensors (any layout); names must be unique and not <c>__metadata__</c>.</param>
    /// <param name="metadata">Optional string map stored as the header's <c>__metadata__</c>.</param>
    /// <param name="floatDType">Store every floating tensor as this floating type; null keeps each tensor's type.</param>
    public static byte[] Serialize(IEnumerable<KeyValuePair<string, Tensor>> tensors,
        IReadOnlyDictionary<string, string>? metadata = null, ScalarType? floatDType = null)
    {
        var ms = new MemoryStream();
        Write(ms, tensors, metadata, floatDType);
        return ms.ToArray();
    }

    /// <summary>Loads every tensor of a file, in file order (by data offset).</summary>
    /// <param name="path">A safetensors file.</param>
    /// <param name="dtype">Convert every tensor to this type; null keeps the stored types.</param>
    /// <exception cref="SafeTensorsFormatException">The file is not valid safetensors.</exception>
    public static OrderedDictionary<string, Tensor> Load(string path, ScalarType? dtype = null)
    {
        using var f = SafeTensorsFile.Open(path);
        return f.LoadAll(dtype);
    }

    /// <summary>Loads every tensor of an in-memory safetensors image, in file order.</summary>
    /// <param name="data">The bytes of a safetensors file.</param>
    /// <param name="dtype">Convert every tensor to this type; null keeps the stored types.</param>
    /// <exception cref="SafeTensorsFormatException">The buffer is not valid safetensors.</exception>
    public static OrderedDictionary<string, Tensor> Deserialize(byte[] data, ScalarType? dtype = null)
    {
        using var f = SafeTensorsFile.FromBytes(data);
        return f.LoadAll(dtype);
    }

    /// <summary>Reads only the <c>__metadata__</c> map of a file (the data are not touched).</summary>
    public static IReadOnlyDictionary<string, string> LoadMetadata(string path)
    {
        using var f = SafeTensorsFile.Open(path);
        return f.Metadata;
    }

    // ------------------------------------------------------------------ writing

    private sealed record Entry(DeferredTensor Source, ScalarType Stored, long Begin, long End)
    {
        public string Name => Source.Name;
    }

    /// <summary>Validates names and types, decides the stored type and order, and assigns byte ranges.</summary>
    private static List<Entry> Plan(IEnumerable<KeyValuePair<string, Tensor>> tensors, ScalarType? floatDType)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        return Plan(tensors.Select(kv => kv.Value is { } t
            ? new DeferredTensor(kv.Key, t.shape, t.dtype, () => t)
            : throw new ArgumentException($"SafeTensors.Save: tensor '{kv.Key}' is null", nameof(tensors))), floatDType);
    }

    private static List<Entry> Plan(IEnumerable<DeferredTensor> tensors, ScalarType? floatDType)
    {
        if (floatDType is { } f && !f.IsFloatingPoint())
            throw new ArgumentException($"SafeTensors.Save: floatDType must be a floating type (float16, bfloat16, float32, float64), got {f.TorchName()}", nameof(floatDType));
        var items = new List<(DeferredTensor T, ScalarType Stored)>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var t in tensors)
        {
            ArgumentNullException.ThrowIfNull(t, nameof(tensors));
            var name = t.Name;
            ArgumentNullException.ThrowIfNull(name, nameof(tensors));
            if (name == "__metadata__")
                throw new ArgumentException("SafeTensors.Save: '__metadata__' is reserved for the metadata map and cannot name a tensor; pass metadata through the metadata argument", nameof(tensors));
            if (!seen.Add(name))
                throw new ArgumentException($"SafeTensors.Save: tensor name '{name}' is given twice; names must be unique", nameof(tensors));
            var stored = floatDType is { } fd && t.DType.IsFloatingPoint() ? fd : t.DType;
            items.Add((t, stored));
        }
        items.Sort((a, b) =>
        {
            int c = Rank(b.Stored).CompareTo(Rank(a.Stored));
            return c != 0 ? c : string.CompareOrdinal(a.T.Name, b.T.Name);
        });
        var plan = new List<Entry>(items.Count);
        long pos = 0;
        foreach (var (t, stored) in items)
        {
            long bytes = t.Shape.Aggregate(1L, (a, d) => checked(a * d)) * stored.ElementSize();
            plan.Add(new Entry(t, stored, pos, pos + bytes));
            pos += bytes;
        }
        return plan;
    }

    /// <summary>Position in the reference implementation's dtype order (increasing alignment; BOOL &lt; F16 &lt; BF16 &lt; I32 &lt; F32 &lt; F64 &lt; I64).</summary>
    private static int Rank(ScalarType t) => t switch
    {
        ScalarType.Bool => 0,
        ScalarType.Float16 => 1,
        ScalarType.BFloat16 => 2,
        ScalarType.Int32 => 3,
        ScalarType.Float32 => 4,
        ScalarType.Float64 => 5,
        ScalarType.Int64 => 6,
        _ => throw new ArgumentOutOfRangeException(nameof(t), t, "no safetensors dtype for this scalar type"),
    };

    private static void WritePlan(Stream s, List<Entry> plan, IReadOnlyDictionary<string, string>? metadata)
    {
        if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("safetensors I/O needs a little-endian machine");
        var header = Header(plan, metadata);
        Span<byte> len = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(len, (ulong)header.Length);
        s.Write(len);
        s.Write(header);
        foreach (var e in plan)
        {
            if (e.Begin == e.End) continue; // empty tensors have no bytes
            // One tensor produced and converted at a time, so saving never holds a second copy of the model; the scope
            // releases what producing and converting allocated (storage created before it is untouched).
            using var scope = torch.NewDisposeScope();
            var produced = e.Source.Produce() ?? throw new InvalidOperationException($"SafeTensors.Save: the producer of tensor '{e.Name}' returned null");
            if (!produced.shape.SequenceEqual(e.Source.Shape) || produced.dtype != e.Source.DType)
                throw new InvalidOperationException(
                    $"SafeTensors.Save: tensor '{e.Name}' was declared ({string.Join(", ", e.Source.Shape)}) {e.Source.DType.TorchName()} but produced ({string.Join(", ", produced.shape)}) {produced.dtype.TorchName()}");
            var t = produced.detach().to(e.Stored).contiguous();
            switch (e.Stored)
            {
                case ScalarType.Float32: WriteElements<float>(s, t); break;
                case ScalarType.Float64: WriteElements<double>(s, t); break;
                case ScalarType.Float16: WriteElements<Half>(s, t); break;
                case ScalarType.BFloat16: WriteElements<BFloat16>(s, t); break;
                case ScalarType.Int64: WriteElements<long>(s, t); break;
                case ScalarType.Int32: WriteElements<int>(s, t); break;
                case ScalarType.Bool: WriteElements<bool>(s, t); break;
                default: throw new NotSupportedException($"SafeTensors.Save: tensor '{e.Name}' has type {e.Stored.TorchName()}, which safetensors cannot store");
            }
        }
    }

    private static void WriteElements<T>(Stream s, Tensor t) where T : unmanaged
    {
        if (t.device.type != DeviceType.CPU) t = t.detach().to(Device.CPU); // checkpoints hold host bytes, whatever the device
        ReadOnlySpan<T> span = t.AsSpan<T>();
        const int chunk = 1 << 20;
        for (int i = 0; i < span.Length; i += chunk)
            s.Write(MemoryMarshal.AsBytes(span.Slice(i, Math.Min(chunk, span.Length - i))));
    }

    /// <summary>The compact JSON header, padded with spaces to a multiple of 8 bytes.</summary>
    private static byte[] Header(List<Entry> plan, IReadOnlyDictionary<string, string>? metadata)
    {
        var buf = new ArrayBufferWriter<byte>();
        using (var w = new Utf8JsonWriter(buf))
        {
            w.WriteStartObject();
            if (metadata is not null)
            {
                w.WriteStartObject("__metadata__");
                foreach (var kv in metadata.OrderBy(kv => kv.Key, StringComparer.Ordinal))
                {
                    if (kv.Value is null) throw new ArgumentException($"SafeTensors.Save: metadata value for key '{kv.Key}' is null; metadata values must be strings", nameof(metadata));
                    w.WriteString(kv.Key, kv.Value);
                }
                w.WriteEndObject();
            }
            foreach (var e in plan)
            {
                w.WriteStartObject(e.Name);
                w.WriteString("dtype", e.Stored.ToSafeTensors().SpecName());
                w.WriteStartArray("shape");
                foreach (var d in e.Source.Shape) w.WriteNumberValue(d);
                w.WriteEndArray();
                w.WriteStartArray("data_offsets");
                w.WriteNumberValue(e.Begin);
                w.WriteNumberValue(e.End);
                w.WriteEndArray();
                w.WriteEndObject();
            }
            w.WriteEndObject();
        }
        int n = buf.WrittenCount;
        int padded = (n + 7) / 8 * 8;
        var header = new byte[padded];
        buf.WrittenSpan.CopyTo(header);
        header.AsSpan(n).Fill((byte)' ');
        return header;
    }
}
