// Where OTLP exports go: with grpc the endpoint as given; with http/protobuf the endpoint plus the signal path
// (/v1/traces, /v1/metrics), which the exporter does not append when the endpoint is set in code.
using OpenTelemetry.Exporter;
using PluginMoE.Core.Composition;
using PluginMoE.Host.Configuration;

namespace PluginMoE.Host.Telemetry;

/// <summary>The OTLP endpoint and protocol of the Telemetry section.</summary>
public sealed record OtlpTarget(Uri Endpoint, OtlpExportProtocol Protocol)
{
    /// <summary>Signal path of traces over http/protobuf.</summary>
    public const string TracesPath = "v1/traces";

    /// <summary>Signal path of metrics over http/protobuf.</summary>
    public const string MetricsPath = "v1/metrics";

    /// <summary>The target of <paramref name="options"/> (an OtlpEndpoint must be set); the protocol falls back to
    /// <c>OTEL_EXPORTER_OTLP_PROTOCOL</c>, then grpc.</summary>
    public static OtlpTarget From(TelemetryOptions options, string? environmentProtocol = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        string name = !string.IsNullOrWhiteSpace(options.OtlpProtocol) ? options.OtlpProtocol
            : environmentProtocol ?? Environment.GetEnvironmentVariable("OTEL_EXPORTER_OTLP_PROTOCOL") ?? "grpc";
        var protocol = name.Trim() switch
        {
            "grpc" => OtlpExportProtocol.Grpc,
            "http/protobuf" => OtlpExportProtocol.HttpProtobuf,
            _ => throw new ConfigurationException($"Telemetry:OtlpProtocol (or OTEL_EXPORTER_OTLP_PROTOCOL): '{name}' is not supported; use grpc or http/protobuf"),
        };
        return new OtlpTarget(new Uri(options.OtlpEndpoint!), protocol);
    }

    /// <summary>The URI a signal is sent to: the endpoint for grpc, endpoint + <paramref name="signalPath"/> for http/protobuf.</summary>
    public Uri SignalUri(string signalPath)
    {
        if (Protocol != OtlpExportProtocol.HttpProtobuf) return Endpoint;
        string b = Endpoint.AbsoluteUri;
        return new Uri(b.EndsWith('/') ? b + signalPath : b + "/" + signalPath);
    }

    /// <summary>Sets protocol and endpoint of an exporter for one signal.</summary>
    public void Apply(OtlpExporterOptions options, string signalPath)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Protocol = Protocol;
        options.Endpoint = SignalUri(signalPath);
    }
}
