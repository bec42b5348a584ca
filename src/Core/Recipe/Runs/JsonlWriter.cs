// A thread-safe append-only JSON-lines file: a stage's log.jsonl, and the host's local telemetry exporters.
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace PluginMoE.Core.Recipe.Runs;

/// <summary>Appends one JSON object per line, flushing after each batch.</summary>
public sealed class JsonlWriter : IDisposable
{
    private readonly StreamWriter _writer;
    private readonly Lock _lock = new();

    /// <summary>Opens <paramref name="path"/> for appending (its folder is created; a torn last line is ended first).</summary>
    public JsonlWriter(string path)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        var stream = new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.Read);
        TornLine.End(path, stream);
        _writer = new StreamWriter(stream, new UTF8Encoding(false));
    }

    /// <summary>Appends <paramref name="lines"/>, one compact JSON object per line, and flushes.</summary>
    public void Write(IEnumerable<JsonObject> lines)
    {
        lock (_lock)
        {
            foreach (var line in lines) _writer.WriteLine(line.ToJsonString(Options));
            _writer.Flush();
        }
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        lock (_lock) _writer.Dispose();
    }

    private static readonly JsonSerializerOptions Options = new() { WriteIndented = false };
}
