// The jsonl dataset loader: one JSON object per line with a text field and a domain label at a dotted path.
using System.Text.Json;
using PluginMoE.Abstractions.Composition;
using PluginMoE.Abstractions.Data;

namespace PluginMoE.Plugins.Datasets;

/// <summary>
/// Streams documents from JSON Lines files (plain or gzip, detected by the magic bytes) in sorted path order,
/// one line at a time, as strict UTF-8 (never replaced with U+FFFD). Malformed lines (bad JSON, a missing or
/// non-string text, a string escaping a lone surrogate, a missing domain, invalid UTF-8 unless
/// <see cref="JsonlOptions.InvalidUtf8"/> is <c>fail</c>, a line longer than <see cref="JsonlOptions.MaxLineBytes"/>)
/// are reported with file and line through the diagnostics and skipped;
/// when a file's malformed share exceeds <see cref="JsonlOptions.MaxMalformedFraction"/> the load fails with
/// <see cref="InvalidDataException"/> after that file. Blank lines are ignored. Truncated or corrupt gzip data fails
/// the load naming the file and the line reached.
/// </summary>
[ExportDatasetLoader("jsonl", Description = "JSON Lines documents with a text field and a domain field (SlimPajama layout by default)")]
public sealed class JsonlLoader : IDatasetLoader
{
    private const int LinesNamedInErrors = 5;

    /// <inheritdoc/>
    public Type? OptionsType => typeof(JsonlOptions);

    /// <inheritdoc/>
    public IEnumerable<Document> Load(DatasetRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var options = request.Options as JsonlOptions ?? throw new ArgumentException(
            $"jsonl: options must be {nameof(JsonlOptions)} with Paths set, got {request.Options?.GetType().Name ?? "null"}");
        if (options.Paths.Length == 0)
            throw new ArgumentException("jsonl: Paths is empty; list .jsonl files, folders of them, or glob patterns");
        var files = ResolveFiles(options.Paths, request);
        return ReadAll(files, options, request);
    }

    private static IEnumerable<Document> ReadAll(List<string> files, JsonlOptions options, DatasetRequest request)
    {
        var totals = new Totals();
        foreach (var file in files)
            foreach (var doc in ReadFile(file, options, request, totals))
                yield return doc;
        request.Diagnostics.Info($"jsonl: {files.Count} file(s), {totals.Documents} documents, {totals.Malformed} malformed lines skipped");
    }

    private sealed class Totals
    {
        public long Documents;
        public long Malformed;
    }

    private static IEnumerable<Document> ReadFile(string file, JsonlOptions options, DatasetRequest request, Totals totals)
    {
        long lines = 0, malformed = 0;
        var firstBad = new List<long>();
        bool failOnInvalidUtf8 = options.InvalidUtf8 == "fail";
        using var reader = new JsonlLineReader(file, options.MaxLineBytes);
        while (reader.Next(out var line))
        {
            if (line.Number % 4096 == 0) request.CancellationToken.ThrowIfCancellationRequested();
            string problem;
            Document? doc = null;
            if (line.TooLong)
                problem = $"line is {line.Length} bytes, longer than MaxLineBytes ({options.MaxLineBytes}); it was not read. Raise MaxLineBytes to load it";
            else if (IsBlank(line.Bytes.Span)) continue;
            else if (InvalidUtf8At(line.Bytes.Span) is int bad)
            {
                string where = $"invalid byte 0x{line.Bytes.Span[bad]:X2} at byte offset {line.Offset + bad} of the " +
                    $"{(reader.IsGzip ? "decompressed data" : "file")} (byte {bad + 1} of the line)";
                if (failOnInvalidUtf8)
                    throw new InvalidDataException(
                        $"jsonl: {file}: line {line.Number} is not valid UTF-8: {where}; InvalidUtf8 is 'fail'. Convert the file to " +
                        "UTF-8 (e.g. iconv -f latin1 -t utf-8), or set InvalidUtf8 to 'skip' to report and skip such lines " +
                        "(they count against MaxMalformedFraction)");
                problem = $"not valid UTF-8: {where}";
            }
            else
            {
                doc = Parse(line.Bytes, file, line.Number, options, out problem);
                if (doc is null && IsUnicodeBlank(line.Bytes.Span)) continue;
            }
            lines++;
            if (doc is null)
            {
                malformed++;
                if (firstBad.Count < LinesNamedInErrors) firstBad.Add(line.Number);
                request.Diagnostics.Skipped(file, line.Number, problem);
                continue;
            }
            yield return doc;
        }
        totals.Documents += lines - malformed;
        totals.Malformed += malformed;
        double share = lines == 0 ? 0 : (double)malformed / lines;
        request.Diagnostics.Info($"jsonl: {file}: {lines - malformed} documents, {malformed} malformed lines");
        if (share > options.MaxMalformedFraction)
            throw new InvalidDataException(
                $"jsonl: {file} has {malformed} malformed lines of {lines} ({Percent(share)}), more than MaxMalformedFraction " +
                $"{Percent(options.MaxMalformedFraction)}; first at lines {string.Join(", ", firstBad)}. Fix the file, check TextField " +
                $"'{options.TextField}' and DomainField '{options.DomainField}', or raise MaxMalformedFraction");
    }

    private static bool IsBlank(ReadOnlySpan<byte> line) => line.IndexOfAnyExcept(" \t\r\f\v"u8) < 0;

    // A line of Unicode white space only (U+00A0, U+2028, ...) is blank too, as string.IsNullOrWhiteSpace has it.
    private static bool IsUnicodeBlank(ReadOnlySpan<byte> line) =>
        line.Length <= 4096 && string.IsNullOrWhiteSpace(System.Text.Encoding.UTF8.GetString(line));

    /// <summary>The offset of the first byte that is not part of a valid UTF-8 sequence, or null when the line is valid.</summary>
    internal static int? InvalidUtf8At(ReadOnlySpan<byte> line)
    {
        if (System.Text.Unicode.Utf8.IsValid(line)) return null;
        int i = 0;
        while (i < line.Length)
        {
            if (System.Text.Rune.DecodeFromUtf8(line[i..], out _, out int consumed) != System.Buffers.OperationStatus.Done) return i;
            i += consumed;
        }
        return null;
    }

    /// <summary>
    /// The file's bytes, decompressed on the fly when it starts with the gzip magic bytes (1F 8B), whatever its
    /// name; nothing is read ahead beyond the stream's buffer.
    /// </summary>
    internal static Stream OpenMaybeGzip(string file)
    {
        var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        Span<byte> magic = stackalloc byte[2];
        int n = stream.ReadAtLeast(magic, 2, throwOnEndOfStream: false);
        stream.Position = 0;
        return n == 2 && magic[0] == 0x1F && magic[1] == 0x8B
            ? new System.IO.Compression.GZipStream(stream, System.IO.Compression.CompressionMode.Decompress)
            : stream;
    }

    private static string Percent(double share) => (share * 100).ToString("0.0", System.Globalization.CultureInfo.InvariantCulture) + "%";

    private static Document? Parse(ReadOnlyMemory<byte> line, string file, long lineNo, JsonlOptions options, out string problem)
    {
        JsonDocument json;
        try { json = JsonDocument.Parse(line); }
        catch (JsonException e)
        {
            problem = $"invalid JSON: {e.Message}";
            return null;
        }
        using (json)
        {
            var root = json.RootElement;
            if (root.ValueKind != JsonValueKind.Object) { problem = $"expected a JSON object, found {root.ValueKind}"; return null; }
            if (!root.TryGetProperty(options.TextField, out var text)) { problem = $"missing text field '{options.TextField}'"; return null; }
            if (text.ValueKind != JsonValueKind.String) { problem = $"text field '{options.TextField}' is {text.ValueKind}, expected a string"; return null; }
            if (!TryGetString(text, out string? body))
            {
                problem = $"text field '{options.TextField}' is not valid Unicode: it holds an escaped lone surrogate (such as \\ud800 without its pair)";
                return null;
            }
            string? domain = options.Domain;
            if (domain is null)
            {
                var d = Find(root, options.DomainField);
                if (d is not { ValueKind: JsonValueKind.String } || !TryGetString(d.Value, out string? s) || s is not { Length: > 0 })
                {
                    problem = d is null ? $"missing domain field '{options.DomainField}'"
                        : d.Value.ValueKind == JsonValueKind.String && !TryGetString(d.Value, out _)
                            ? $"domain field '{options.DomainField}' is not valid Unicode: it holds an escaped lone surrogate"
                            : $"domain field '{options.DomainField}' is {d.Value.ValueKind}, expected a non-empty string";
                    return null;
                }
                domain = s;
            }
            string id = $"{file}:{lineNo}";
            if (options.IdField is { } idField)
            {
                var v = Find(root, idField);
                if (v is { ValueKind: JsonValueKind.String or JsonValueKind.Number } value)
                    id = value.ValueKind == JsonValueKind.Number ? value.GetRawText()
                        : TryGetString(value, out string? idText) ? idText! : value.GetRawText(); // an invalid id keeps its JSON form
            }
            problem = "";
            return new Document(id, domain, body!);
        }
    }

    /// <summary>
    /// The string's value, or false when it cannot be one: valid JSON may escape a lone UTF-16 surrogate
    /// (<c>"\ud800"</c>, as Python's json.dumps writes for such strings), which .NET refuses to decode.
    /// </summary>
    private static bool TryGetString(JsonElement e, out string? value)
    {
        try { value = e.GetString(); return true; }
        catch (InvalidOperationException) { value = null; return false; }
    }

    /// <summary>The element at a dotted path (<c>meta.redpajama_set_name</c>), or null when a step is missing.</summary>
    internal static JsonElement? Find(JsonElement root, string dottedPath)
    {
        var e = root;
        foreach (var part in dottedPath.Split('.'))
        {
            if (e.ValueKind != JsonValueKind.Object || !e.TryGetProperty(part, out var next)) return null;
            e = next;
        }
        return e;
    }

    private static List<string> ResolveFiles(string[] paths, DatasetRequest request)
    {
        var files = new List<string>();
        foreach (var p in paths)
        {
            string full = Glob.Resolve(p, request.BaseDirectory);
            IReadOnlyList<string> found =
                Glob.HasWildcard(full) ? Glob.Expand(full, request.CancellationToken)
                : Directory.Exists(full) ? [.. Glob.Expand(Path.Combine(full, "**", "*.jsonl"), request.CancellationToken)
                    .Concat(Glob.Expand(Path.Combine(full, "**", "*.jsonl.gz"), request.CancellationToken)).Order(StringComparer.Ordinal)]
                : File.Exists(full) ? [Path.GetFullPath(full)]
                : [];
            if (found.Count == 0)
                throw new FileNotFoundException(
                    $"jsonl: no .jsonl or .jsonl.gz files at '{full}' (from Paths entry '{p}', relative paths are resolved against " +
                    $"'{request.BaseDirectory}'); list existing .jsonl/.jsonl.gz files, folders containing them, or glob patterns", full);
            files.AddRange(found);
        }
        return [.. files.Distinct().Order(StringComparer.Ordinal)];
    }
}
