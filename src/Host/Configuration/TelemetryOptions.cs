// The Telemetry section: local JSONL export (always) and an optional OTLP endpoint.
using System.ComponentModel.DataAnnotations;
using PluginMoE.Core.Recipe.Settings;

namespace PluginMoE.Host.Configuration;

/// <summary>Telemetry export settings.</summary>
public sealed class TelemetryOptions : ISectionOptions, IValidatableObject
{
    /// <inheritdoc/>
    public static string SectionName => "Telemetry";

    /// <summary>OTLP endpoint (e.g. <c>http://localhost:4317</c>); empty exports to the run folder only.</summary>
    public string? OtlpEndpoint { get; set; }

    /// <summary>OTLP transport: <c>grpc</c> (the endpoint as given, e.g. port 4317) or <c>http/protobuf</c> (signals posted
    /// to <c>/v1/traces</c> and <c>/v1/metrics</c> under the endpoint, e.g. port 4318). Empty: the
    /// <c>OTEL_EXPORTER_OTLP_PROTOCOL</c> environment variable, else grpc.</summary>
    public string? OtlpProtocol { get; set; }

    /// <summary>How often metrics are exported, in milliseconds (they are always flushed at the end of a run).</summary>
    [Range(100, 3_600_000)]
    public int MetricExportIntervalMs { get; set; } = 5000;

    /// <inheritdoc/>
    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (!string.IsNullOrWhiteSpace(OtlpEndpoint) && !Uri.TryCreate(OtlpEndpoint, UriKind.Absolute, out _))
            yield return new ValidationResult("must be an absolute URI such as http://localhost:4317, or empty", [nameof(OtlpEndpoint)]);
        if (!string.IsNullOrWhiteSpace(OtlpProtocol) && OtlpProtocol is not ("grpc" or "http/protobuf"))
            yield return new ValidationResult($"must be grpc or http/protobuf, got '{OtlpProtocol}'", [nameof(OtlpProtocol)]);
    }
}
