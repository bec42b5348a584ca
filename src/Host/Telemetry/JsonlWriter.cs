// A thread-safe append-only JSON-lines file shared by the local exporters.
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace PluginMoE.Host.Telemetry;

/// <summary>Appends one JSON object per line, flushing after each batch.</summary>
internal sealed class JsonlWriter : IDisposable
{
    private readonly StreamWriter _writer;
    private readonly Lock _lock = new();

    public JsonlWriter(string path)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        _writer = new StreamWriter(new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.Read), new UTF8Encoding(false));
    }

    public void Write(IEnumerable<JsonObject> lines)
    {
        lock (_lock)
        {
            foreach (var line in lines) _writer.WriteLine(line.ToJsonString(Options));
            _writer.Flush();
        }
    }

    public void Dispose()
    {
        lock (_lock) _writer.Dispose();
    }

    private static readonly JsonSerializerOptions Options = new() { WriteIndented = false };
}
