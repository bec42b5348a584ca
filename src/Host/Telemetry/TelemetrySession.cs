// The tracer and meter providers of one run: JSONL files in the run folder always, OTLP when configured;
// disposing flushes everything (so the files are complete when the command returns).
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;
using PluginMoE.Host.Configuration;

namespace PluginMoE.Host.Telemetry;

/// <summary>Exports PluginMoE's spans and metrics for the duration of a run.</summary>
public sealed class TelemetrySession : IDisposable
{
    /// <summary>Span file name in the run folder.</summary>
    public const string TracesFile = "traces.jsonl";

    /// <summary>Metric file name in the run folder.</summary>
    public const string MetricsFile = "metrics.jsonl";

    private readonly TracerProvider _tracer;
    private readonly MeterProvider _meter;

    private TelemetrySession(TracerProvider tracer, MeterProvider meter) => (_tracer, _meter) = (tracer, meter);

    /// <summary>Starts exporting to <paramref name="runDirectory"/> (and to the OTLP endpoint of <paramref name="options"/>, if any).</summary>
    /// <param name="runDirectory">Folder of traces.jsonl and metrics.jsonl; null exports over OTLP only (the serve command).</param>
    /// <param name="options">The Telemetry section.</param>
    public static TelemetrySession Start(string? runDirectory, TelemetryOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var traces = Sdk.CreateTracerProviderBuilder().AddSource(PluginMoeTelemetry.Name);
        var metrics = Sdk.CreateMeterProviderBuilder().AddMeter(PluginMoeTelemetry.Name);
        if (runDirectory is not null)
        {
            traces.AddProcessor(new SimpleActivityExportProcessor(new JsonlActivityExporter(Path.Combine(runDirectory, TracesFile))));
            metrics.AddReader(new PeriodicExportingMetricReader(new JsonlMetricExporter(Path.Combine(runDirectory, MetricsFile)), options.MetricExportIntervalMs));
        }
        if (!string.IsNullOrWhiteSpace(options.OtlpEndpoint))
        {
            var otlp = OtlpTarget.From(options);
            traces.AddOtlpExporter(o => otlp.Apply(o, OtlpTarget.TracesPath));
            metrics.AddOtlpExporter((o, reader) =>
            {
                otlp.Apply(o, OtlpTarget.MetricsPath);
                reader.PeriodicExportingMetricReaderOptions.ExportIntervalMilliseconds = options.MetricExportIntervalMs;
            });
        }
        return new TelemetrySession(traces.Build()!, metrics.Build()!);
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        _tracer.ForceFlush();
        _meter.ForceFlush();
        _tracer.Dispose();
        _meter.Dispose();
    }
}
