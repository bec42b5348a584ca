// Parses and validates a safetensors header against the file it came from. Every number is checked before
// it is used (header length against the file, ranges against the data buffer, byte lengths against
// dtype x shape with overflow checks, ranges against each other), so a hostile file is an error, never an
// out-of-bounds read or a huge allocation.
using System.Buffers.Binary;
using System.Text.Json;
using System.Text.Unicode;

namespace PluginMoE.Tensors.Serialization;

/// <summary>The validated contents of a safetensors header.</summary>
internal sealed record SafeTensorsHeader(IReadOnlyList<SafeTensorInfo> Tensors, IReadOnlyDictionary<string, string> Metadata)
{
    /// <summary>Largest header accepted (the reference implementation's limit).</summary>
    public const long MaxHeaderLength = 100_000_000;

    /// <summary>Reads the 8-byte header length and checks it against the limit and the total length.</summary>
    public static long ReadHeaderLength(ReadOnlySpan<byte> prefix, long totalLength, string source)
    {
        if (totalLength < 8)
            throw new SafeTensorsFormatException(source, null,
                $"the file is {totalLength} bytes long; a safetensors file starts with an 8-byte little-endian header length, so it needs at least 8 bytes (the file is truncated or empty)");
        ulong n = BinaryPrimitives.ReadUInt64LittleEndian(prefix);
        if (n > MaxHeaderLength)
            throw new SafeTensorsFormatException(source, null,
                $"the header length in the first 8 bytes is {n}, above the {MaxHeaderLength}-byte limit; the file is not safetensors or its first bytes are corrupt");
        if ((long)n > totalLength - 8)
            throw new SafeTensorsFormatException(source, null,
                $"the header length in the first 8 bytes is {n}, but only {totalLength - 8} bytes follow them (the file is {totalLength} bytes); the file is truncated");
        if (n < 2)
            throw new SafeTensorsFormatException(source, null,
                $"the header length in the first 8 bytes is {n}; the header must hold at least a JSON object '{{}}'");
        return (long)n;
    }

    /// <summary>Parses the header JSON and validates every entry against a data buffer of <paramref name="dataLength"/> bytes.</summary>
    /// <remarks>Tensors come back in file order: by data offset, ties (empty tensors) in header order.</remarks>
    public static SafeTensorsHeader Parse(ReadOnlyMemory<byte> header, long dataStart, long dataLength, string source)
    {
        if (!Utf8.IsValid(header.Span))
            throw new SafeTensorsFormatException(source, null, "the header is not valid UTF-8; it must be a UTF-8 JSON object");
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(header, new JsonDocumentOptions { MaxDepth = 16 });
        }
        catch (JsonException e)
        {
            throw new SafeTensorsFormatException(source, null,
                $"the header is not valid JSON ({e.Message}); expected a JSON object mapping tensor names to {{\"dtype\", \"shape\", \"data_offsets\"}}", e);
        }
        using (doc)
        {
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
                throw new SafeTensorsFormatException(source, null,
                    $"the header is a JSON {Kind(root)}; expected a JSON object mapping tensor names to {{\"dtype\", \"shape\", \"data_offsets\"}}");

            var seen = new HashSet<string>(StringComparer.Ordinal);
            var tensors = new List<SafeTensorInfo>();
            var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var prop in root.EnumerateObject())
            {
                if (!seen.Add(prop.Name))
                    throw new SafeTensorsFormatException(source, prop.Name == "__metadata__" ? null : prop.Name,
                        prop.Name == "__metadata__" ? "\"__metadata__\" appears twice in the header; each key must appear once"
                                                    : "the name appears twice in the header; each tensor name must be unique");
                if (prop.Name == "__metadata__") ReadMetadata(prop.Value, metadata, source);
                else tensors.Add(ReadEntry(prop.Name, prop.Value, dataStart, dataLength, source));
            }
            CheckTiling(tensors, dataLength, source);
            return new SafeTensorsHeader(tensors, metadata);
        }
    }

    private static void ReadMetadata(JsonElement value, Dictionary<string, string> metadata, string source)
    {
        if (value.ValueKind == JsonValueKind.Null) return;
        if (value.ValueKind != JsonValueKind.Object)
            throw new SafeTensorsFormatException(source, null, $"\"__metadata__\" is a JSON {Kind(value)}; expected an object of string keys to string values");
        foreach (var kv in value.EnumerateObject())
        {
            if (kv.Value.ValueKind != JsonValueKind.String)
                throw new SafeTensorsFormatException(source, null,
                    $"\"__metadata__\" value for key '{kv.Name}' is a JSON {Kind(kv.Value)}; metadata values must be strings");
            if (!metadata.TryAdd(kv.Name, kv.Value.GetString()!))
                throw new SafeTensorsFormatException(source, null, $"\"__metadata__\" key '{kv.Name}' appears twice; each key must appear once");
        }
    }

    private static SafeTensorInfo ReadEntry(string name, JsonElement e, long dataStart, long dataLength, string source)
    {
        SafeTensorsFormatException Bad(string detail) => new(source, name, detail);
        if (e.ValueKind != JsonValueKind.Object)
            throw Bad($"the entry is a JSON {Kind(e)}; expected an object with \"dtype\", \"shape\" and \"data_offsets\"");
        JsonElement Field(string field) => e.TryGetProperty(field, out var v) ? v
            : throw Bad($"the entry has no \"{field}\"; expected an object with \"dtype\", \"shape\" and \"data_offsets\"");

        var dt = Field("dtype");
        if (dt.ValueKind != JsonValueKind.String)
            throw Bad($"\"dtype\" is a JSON {Kind(dt)}; expected a string such as \"F32\"");
        string dtName = dt.GetString()!;
        if (!SafeTensorsDTypeExtensions.TryParse(dtName, out var dtype))
            throw Bad($"unknown dtype \"{dtName}\"; expected one of {SafeTensorsDTypeExtensions.AllNames}");

        var sh = Field("shape");
        if (sh.ValueKind != JsonValueKind.Array)
            throw Bad($"\"shape\" is a JSON {Kind(sh)}; expected an array of non-negative integers");
        var shape = new long[sh.GetArrayLength()];
        long numel = 1;
        bool overflow = false;
        int i = 0;
        foreach (var d in sh.EnumerateArray())
        {
            if (d.ValueKind != JsonValueKind.Number || !d.TryGetInt64(out long v) || v < 0)
                throw Bad($"shape[{i}] is {d.GetRawText()}; dimensions must be non-negative integers (shape {sh.GetRawText()})");
            shape[i++] = v;
            if (!overflow)
            {
                try { numel = checked(numel * v); }
                catch (OverflowException) { overflow = true; }
            }
        }
        if (shape.Contains(0)) { numel = 0; overflow = false; }
        long bytes = 0;
        if (!overflow)
        {
            try { bytes = checked(numel * dtype.ElementSize()); }
            catch (OverflowException) { overflow = true; }
        }
        if (overflow)
            throw Bad($"shape {sh.GetRawText()} has more elements (times {dtype.ElementSize()} bytes each) than a 64-bit byte count can hold");

        var off = Field("data_offsets");
        if (off.ValueKind != JsonValueKind.Array || off.GetArrayLength() != 2)
            throw Bad($"\"data_offsets\" is {off.GetRawText()}; expected an array of two non-negative integers [begin, end]");
        long begin = 0, end = 0;
        int k = 0;
        foreach (var o in off.EnumerateArray())
        {
            if (o.ValueKind != JsonValueKind.Number || !o.TryGetInt64(out long v) || v < 0)
                throw Bad($"\"data_offsets\" is {off.GetRawText()}; expected an array of two non-negative integers [begin, end]");
            if (k++ == 0) begin = v; else end = v;
        }
        if (begin > end)
            throw Bad($"\"data_offsets\" [{begin}, {end}] has begin > end; expected begin <= end");
        if (end > dataLength)
            throw Bad($"\"data_offsets\" [{begin}, {end}] ends past the end of the data buffer, which holds {dataLength} bytes; the file is truncated or the offsets are wrong");
        if (end - begin != bytes)
            throw Bad($"\"data_offsets\" [{begin}, {end}] span {end - begin} bytes, but dtype {dtype} with shape [{string.Join(", ", shape)}] needs {numel} x {dtype.ElementSize()} = {bytes} bytes");
        return new SafeTensorInfo(name, dtype, shape, numel, begin, end, dataStart);
    }

    /// <summary>
    /// Sorts by offset and requires the ranges to tile the data buffer exactly (no overlap, no gap, no trailing
    /// bytes), as the reference implementation does: overlaps would alias tensors, and gaps or trailing bytes
    /// hide data no tensor accounts for.
    /// </summary>
    private static void CheckTiling(List<SafeTensorInfo> tensors, long dataLength, string source)
    {
        var order = Enumerable.Range(0, tensors.Count).ToArray();
        Array.Sort(order, (a, b) =>
        {
            int c = tensors[a].DataBegin.CompareTo(tensors[b].DataBegin);
            if (c == 0) c = tensors[a].DataEnd.CompareTo(tensors[b].DataEnd);
            return c != 0 ? c : a.CompareTo(b); // stable: header order among equal ranges
        });
        var sorted = order.Select(i => tensors[i]).ToList();
        long pos = 0;
        SafeTensorInfo? prev = null;
        foreach (var t in sorted)
        {
            if (t.DataBegin < pos)
                throw new SafeTensorsFormatException(source, t.Name,
                    $"its bytes [{t.DataBegin}, {t.DataEnd}) overlap those of tensor '{prev!.Name}' [{prev.DataBegin}, {prev.DataEnd}); each byte of the data buffer must belong to exactly one tensor");
            if (t.DataBegin > pos)
                throw new SafeTensorsFormatException(source, t.Name,
                    $"its bytes start at data offset {t.DataBegin}, leaving a gap of {t.DataBegin - pos} bytes after offset {pos}; tensors must tile the data buffer exactly (no gaps), as the reference implementation requires");
            pos = t.DataEnd;
            prev = t;
        }
        if (pos != dataLength)
            throw new SafeTensorsFormatException(source, null,
                $"the tensors end at data offset {pos}, but the data buffer holds {dataLength} bytes; {dataLength - pos} trailing bytes belong to no tensor (tensors must tile the data buffer exactly)");
        tensors.Clear();
        tensors.AddRange(sorted);
    }

    private static string Kind(JsonElement e) => e.ValueKind switch
    {
        JsonValueKind.Object => "object",
        JsonValueKind.Array => "array",
        JsonValueKind.String => "string",
        JsonValueKind.Number => "number",
        JsonValueKind.True or JsonValueKind.False => "boolean",
        JsonValueKind.Null => "null",
        _ => e.ValueKind.ToString(),
    };
}
