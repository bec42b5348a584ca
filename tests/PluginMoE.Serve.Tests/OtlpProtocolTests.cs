// Telemetry:OtlpProtocol against loopback receivers started here: http/protobuf posts traces to /v1/traces and
// metrics to /v1/metrics under the endpoint; grpc calls the collector services over HTTP/2 at the endpoint.
using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry.Exporter;
using PluginMoE.Core.Composition;
using PluginMoE.Host.Configuration;
using PluginMoE.Host.Serve;
using PluginMoE.Host.Telemetry;

namespace PluginMoE.Serve.Tests;

public class OtlpProtocolTests
{
    /// <summary>Records method, path, protocol and content type of every request.</summary>
    private sealed class Receiver : IAsyncDisposable
    {
        private readonly WebApplication _app;

        public ConcurrentQueue<(string Method, string Path, string Protocol, string? ContentType)> Requests { get; } = new();

        private Receiver(WebApplication app) => _app = app;

        public Uri Address => new(_app.Services.GetRequiredService<Microsoft.AspNetCore.Hosting.Server.IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single());

        public static async Task<Receiver> StartAsync(HttpProtocols protocols)
        {
            var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
            builder.WebHost.UseKestrelCore();
            builder.WebHost.ConfigureKestrel(k => k.Listen(System.Net.IPAddress.Loopback, 0, o => o.Protocols = protocols));
            var app = builder.Build();
            var receiver = new Receiver(app);
            app.Run(async ctx =>
            {
                receiver.Requests.Enqueue((ctx.Request.Method, ctx.Request.Path.Value!, ctx.Request.Protocol, ctx.Request.ContentType));
                await ctx.Request.Body.CopyToAsync(Stream.Null);
                if (ctx.Request.ContentType?.StartsWith("application/grpc", StringComparison.Ordinal) == true)
                {
                    ctx.Response.ContentType = "application/grpc";
                    await ctx.Response.Body.WriteAsync(new byte[5]);          // one empty message: an empty Export response
                    ctx.Response.AppendTrailer("grpc-status", "0");
                }
                else
                {
                    ctx.Response.ContentType = "application/x-protobuf";
                }
            });
            await app.StartAsync();
            return receiver;
        }

        public async ValueTask DisposeAsync()
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }
    }

    private static void EmitSpanAndMetric()
    {
        var span = ServeTelemetry.Start("POST", "/v1/otlp-test");
        ServeTelemetry.Stop(span, "/v1/otlp-test", 200, TimeSpan.FromMilliseconds(3));
    }

    [Fact]
    public async Task HttpProtobuf_PostsToTheSignalPaths()
    {
        await using var receiver = await Receiver.StartAsync(HttpProtocols.Http1);
        using (TelemetrySession.Start(null, new TelemetryOptions { OtlpEndpoint = receiver.Address.ToString(), OtlpProtocol = "http/protobuf", MetricExportIntervalMs = 60_000 }))
            EmitSpanAndMetric();
        var requests = receiver.Requests.ToArray();
        Assert.Contains(requests, r => r is { Method: "POST", Path: "/v1/traces", ContentType: "application/x-protobuf" });
        Assert.Contains(requests, r => r is { Method: "POST", Path: "/v1/metrics", ContentType: "application/x-protobuf" });
        Assert.DoesNotContain(requests, r => r.Path == "/");
    }

    [Fact]
    public async Task Grpc_CallsTheCollectorServicesOverHttp2()
    {
        await using var receiver = await Receiver.StartAsync(HttpProtocols.Http2);
        using (TelemetrySession.Start(null, new TelemetryOptions { OtlpEndpoint = receiver.Address.ToString(), OtlpProtocol = "grpc", MetricExportIntervalMs = 60_000 }))
            EmitSpanAndMetric();
        var requests = receiver.Requests.ToArray();
        Assert.Contains(requests, r => r is { Path: "/opentelemetry.proto.collector.trace.v1.TraceService/Export", Protocol: "HTTP/2" });
        Assert.Contains(requests, r => r is { Path: "/opentelemetry.proto.collector.metrics.v1.MetricsService/Export", Protocol: "HTTP/2" });
    }

    [Theory]
    [InlineData("http/protobuf", "http://collector:4318", "v1/traces", "http://collector:4318/v1/traces")]
    [InlineData("http/protobuf", "http://collector:4318/otlp/", "v1/metrics", "http://collector:4318/otlp/v1/metrics")]
    [InlineData("grpc", "http://collector:4317", "v1/traces", "http://collector:4317/")]
    public void SignalUri_AppendsThePathOnlyForHttpProtobuf(string protocol, string endpoint, string signal, string expected)
    {
        var target = OtlpTarget.From(new TelemetryOptions { OtlpEndpoint = endpoint, OtlpProtocol = protocol });
        Assert.Equal(expected, target.SignalUri(signal).ToString());
    }

    [Fact]
    public void Protocol_FallsBackToTheEnvironmentVariable_ThenGrpc()
    {
        var options = new TelemetryOptions { OtlpEndpoint = "http://collector:4318" };
        Assert.Equal(OtlpExportProtocol.HttpProtobuf, OtlpTarget.From(options, "http/protobuf").Protocol);
        Assert.Equal(OtlpExportProtocol.Grpc, OtlpTarget.From(options, "grpc").Protocol);
    }

    [Fact]
    public void UnknownProtocol_IsAConfigurationErrorListingTheChoices()
    {
        var e = Assert.Throws<ConfigurationException>(() => OtlpTarget.From(new TelemetryOptions { OtlpEndpoint = "http://c:1", OtlpProtocol = "http/json" }));
        Assert.Contains("'http/json' is not supported; use grpc or http/protobuf", e.Message);
        var errors = new List<System.ComponentModel.DataAnnotations.ValidationResult>();
        var options = new TelemetryOptions { OtlpProtocol = "http/json" };
        Assert.False(System.ComponentModel.DataAnnotations.Validator.TryValidateObject(options, new(options), errors, true));
        Assert.Contains(errors, r => r.ErrorMessage == "must be grpc or http/protobuf, got 'http/json'");
    }
}
