// OpenTelemetry span exporter to a local traces.jsonl: one line per finished span (name, ids, times, tags, events).
using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using OpenTelemetry;
using PluginMoE.Core.Recipe.Runs;

namespace PluginMoE.Host.Telemetry;

/// <summary>Writes finished activities as JSON lines.</summary>
public sealed class JsonlActivityExporter(string path) : BaseExporter<Activity>
{
    private readonly JsonlWriter _writer = new(path);

    /// <inheritdoc/>
    public override ExportResult Export(in Batch<Activity> batch)
    {
        var lines = new List<JsonObject>();
        foreach (var a in batch)
        {
            var tags = new JsonObject();
            foreach (var (k, v) in a.TagObjects) tags[k] = JsonValue.Create(Convert.ToString(v, CultureInfo.InvariantCulture));
            var events = new JsonArray();
            foreach (var e in a.Events) events.Add(new JsonObject { ["name"] = e.Name, ["time"] = e.Timestamp.ToString("O", CultureInfo.InvariantCulture) });
            lines.Add(new JsonObject
            {
                ["name"] = a.DisplayName,
                ["trace_id"] = a.TraceId.ToHexString(),
                ["span_id"] = a.SpanId.ToHexString(),
                ["parent_span_id"] = a.ParentSpanId == default ? null : a.ParentSpanId.ToHexString(),
                ["start"] = a.StartTimeUtc.ToString("O", CultureInfo.InvariantCulture),
                ["duration_ms"] = a.Duration.TotalMilliseconds,
                ["status"] = a.Status.ToString(),
                ["status_description"] = a.StatusDescription,
                ["tags"] = tags,
                ["events"] = events,
            });
        }
        _writer.Write(lines);
        return ExportResult.Success;
    }

    /// <inheritdoc/>
    protected override void Dispose(bool disposing)
    {
        if (disposing) _writer.Dispose();
        base.Dispose(disposing);
    }
}
