// A stage's own event log (log.jsonl): one JSON object per training step and evaluation, for plots and reports.
using System.Text.Json.Nodes;

namespace PluginMoE.Host.Telemetry;

/// <summary>Appends JSON objects to a file, one per line.</summary>
public sealed class JsonlLog(string path) : IDisposable
{
    private readonly JsonlWriter _writer = new(path);

    /// <summary>Appends <paramref name="line"/>.</summary>
    public void Write(JsonObject line) => _writer.Write([line]);

    /// <inheritdoc/>
    public void Dispose() => _writer.Dispose();
}
