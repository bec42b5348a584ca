// OpenTelemetry metric exporter to a local metrics.jsonl: one line per metric point per export
// (sums and gauges as "value", histograms as count/sum/min/max).
using System.Globalization;
using System.Text.Json.Nodes;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using PluginMoE.Core.Recipe.Runs;

namespace PluginMoE.Host.Telemetry;

/// <summary>Writes exported metric points as JSON lines.</summary>
public sealed class JsonlMetricExporter(string path) : BaseExporter<Metric>
{
    private readonly JsonlWriter _writer = new(path);

    /// <inheritdoc/>
    public override ExportResult Export(in Batch<Metric> batch)
    {
        var lines = new List<JsonObject>();
        foreach (var metric in batch)
        {
            foreach (ref readonly var point in metric.GetMetricPoints())
            {
                var tags = new JsonObject();
                foreach (var tag in point.Tags) tags[tag.Key] = JsonValue.Create(Convert.ToString(tag.Value, CultureInfo.InvariantCulture));
                var line = new JsonObject
                {
                    ["time"] = point.EndTime.UtcDateTime.ToString("O", CultureInfo.InvariantCulture),
                    ["name"] = metric.Name,
                    ["unit"] = metric.Unit,
                    ["type"] = metric.MetricType.ToString(),
                    ["tags"] = tags,
                };
                var type = metric.MetricType;
                if (type.IsHistogram())
                {
                    line["count"] = point.GetHistogramCount();
                    line["sum"] = point.GetHistogramSum();
                    if (point.TryGetHistogramMinMaxValues(out double min, out double max)) { line["min"] = min; line["max"] = max; }
                }
                else if (type.IsSum()) line["value"] = type.IsDouble() ? point.GetSumDouble() : point.GetSumLong();
                else if (type.IsGauge()) line["value"] = type.IsDouble() ? point.GetGaugeLastValueDouble() : point.GetGaugeLastValueLong();
                lines.Add(line);
            }
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
