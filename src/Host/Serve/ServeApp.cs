// The ASP.NET Core application of `pluginmoe serve`: Kestrel on the given URLs, the JSON API (completions with
// server-sent events, score, route, model, healthz), the routing explorer page at /, admission control, request
// spans and metrics, and JSON errors without stack traces.
using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using System.Threading.Channels;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using PluginMoE.Core.Inference;

namespace PluginMoE.Host.Serve;

/// <summary>Builds and runs the HTTP server for one model.</summary>
public sealed class ServeApp : IAsyncDisposable
{
    private static readonly string[] KnownRoutes = ["/", "/index.html", "/healthz", "/v1/model", "/v1/completions", "/v1/score", "/v1/route"];

    private readonly WebApplication _app;
    private readonly RequestGate _gate;
    private readonly ServedModel _model;
    private readonly TextWriter _log;

    private ServeApp(WebApplication app, RequestGate gate, ServedModel model, TextWriter log) => (_app, _gate, _model, _log) = (app, gate, model, log);

    /// <summary>Creates the server for <paramref name="model"/> listening on <paramref name="urls"/> (e.g. <c>http://127.0.0.1:0</c> for a free port).</summary>
    public static ServeApp Create(ServedModel model, IReadOnlyList<string> urls, ServeLimits limits, TextWriter log)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(urls);
        ArgumentNullException.ThrowIfNull(limits);
        ArgumentNullException.ThrowIfNull(log);
        limits.Validate();
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
        builder.WebHost.UseKestrelCore();
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.Limits.MaxRequestBodySize = limits.MaxBodyBytes;
            k.Limits.MaxRequestHeadersTotalSize = 32 * 1024;
            k.AddServerHeader = false;
        });
        builder.WebHost.UseUrls([.. urls]);
        builder.Services.AddRoutingCore();
        var app = builder.Build();
        var server = new ServeApp(app, new RequestGate(limits), model, log);
        server.Map();
        return server;
    }

    /// <summary>The addresses Kestrel listens on (the real port when 0 was asked for), after <see cref="StartAsync"/>.</summary>
    public IReadOnlyList<string> Addresses =>
        [.. _app.Services.GetRequiredService<Microsoft.AspNetCore.Hosting.Server.IServer>().Features.Get<IServerAddressesFeature>()?.Addresses ?? []];

    /// <summary>Starts listening.</summary>
    public Task StartAsync(CancellationToken cancellationToken = default) => _app.StartAsync(cancellationToken);

    /// <summary>Stops listening (in-flight requests are cancelled after a short grace period).</summary>
    public Task StopAsync(CancellationToken cancellationToken = default) => _app.StopAsync(cancellationToken);

    /// <inheritdoc/>
    public async ValueTask DisposeAsync()
    {
        await _app.DisposeAsync().ConfigureAwait(false);
        _gate.Dispose();
    }

    private void Map()
    {
        _app.Use(Guard);
        _app.UseRouting();
        _app.MapGet("/healthz", (RequestDelegate)(ctx => Json(ctx, 200, new JsonObject { ["status"] = "ok", ["model"] = _model.Name, ["tokenizer"] = _model.TokenizerName, ["in_flight"] = _gate.InFlight })));
        _app.MapGet("/v1/model", (RequestDelegate)(ctx => Json(ctx, 200, _model.Describe())));
        _app.MapGet("/", (RequestDelegate)Page);
        _app.MapGet("/index.html", (RequestDelegate)Page);
        _app.MapPost("/v1/score", (RequestDelegate)Score);
        _app.MapPost("/v1/route", (RequestDelegate)Route);
        _app.MapPost("/v1/completions", (RequestDelegate)Completions);
    }

    /// <summary>Span, metrics and error handling around every request.</summary>
    private async Task Guard(HttpContext ctx, RequestDelegate next)
    {
        string path = ctx.Request.Path.Value ?? "/";
        string route = KnownRoutes.Contains(path) ? path : "other";
        var watch = Stopwatch.StartNew();
        var activity = ServeTelemetry.Start(ctx.Request.Method, route);
        try
        {
            await next(ctx).ConfigureAwait(false);
            if (ctx.Response.StatusCode >= 400 && !ctx.Response.HasStarted)
                await Error(ctx, ctx.Response.StatusCode, ctx.Response.StatusCode switch
                {
                    404 => $"no endpoint at {path}; the API has GET /healthz, GET /v1/model, POST /v1/completions, POST /v1/score, POST /v1/route, and the page at /",
                    405 => $"{ctx.Request.Method} is not allowed on {path}",
                    _ => "the request was refused",
                }, "invalid_request_error", null).ConfigureAwait(false);
        }
        catch (ApiException e)
        {
            if (!ctx.Response.HasStarted) await Error(ctx, e.Status, e.Message, e.Type, e.Param).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (ctx.RequestAborted.IsCancellationRequested)
        {
            ctx.Response.StatusCode = 499;                            // client closed the request: nothing to answer
            activity?.SetTag("pluginmoe.cancelled", true);
        }
        catch (BadHttpRequestException e)
        {
            if (!ctx.Response.HasStarted) await Error(ctx, e.StatusCode, $"bad request: {e.Message}", "invalid_request_error", null).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            lock (_log) _log.WriteLine($"pluginmoe serve: {ctx.Request.Method} {path} failed: {e}");
            activity?.SetTag("exception.type", e.GetType().FullName);
            if (!ctx.Response.HasStarted) await Error(ctx, 500, "internal server error; the server log has the details", "server_error", null).ConfigureAwait(false);
        }
        finally
        {
            ServeTelemetry.Stop(activity, route, ctx.Response.StatusCode, watch.Elapsed);
        }
    }

    private static Task Error(HttpContext ctx, int status, string message, string type, string? param) =>
        Json(ctx, status, ApiException.Body(status, message, type, param));

    private static async Task Json(HttpContext ctx, int status, JsonNode body)
    {
        ctx.Response.StatusCode = status;
        ctx.Response.ContentType = "application/json; charset=utf-8";
        await ctx.Response.WriteAsync(body.ToJsonString(), ctx.RequestAborted).ConfigureAwait(false);
    }

    private static async Task Page(HttpContext ctx)
    {
        ctx.Response.ContentType = "text/html; charset=utf-8";
        ctx.Response.Headers.CacheControl = "no-cache";
        ctx.Response.Headers["Content-Security-Policy"] = "default-src 'self'; style-src 'self' 'unsafe-inline'; script-src 'self' 'unsafe-inline'; img-src 'self' data:";
        await ctx.Response.WriteAsync(ExplorerPage.Html, ctx.RequestAborted).ConfigureAwait(false);
    }

    private async Task Score(HttpContext ctx)
    {
        var req = await ApiRequest.ReadAsync(ctx, _gate.Limits.MaxBodyBytes).ConfigureAwait(false);
        string text = req.RequiredString("text", _gate.Limits.MaxTextChars);
        int max = _model.Model.Config.MaxPositionEmbeddings;
        int? context = (int?)req.Integer("context", max, 2, max);
        int[] tokens = _model.EncodeForScoring(text);
        if (tokens.Length < 2)
            throw new ApiException(400, $"'text' has {tokens.Length} token(s) under the model's tokenizer ({_model.TokenizerName}); at least 2 are needed to score", "text");
        var ct = ctx.RequestAborted;
        using var lease = await _gate.EnterAsync(ct).ConfigureAwait(false);
        var result = await Task.Run(() => Scorer.Score(_model.Model, tokens, context, cancellationToken: ct), ct).ConfigureAwait(false);
        await Json(ctx, 200, new JsonObject { ["tokens"] = result.Tokens, ["mean_nll"] = result.MeanNll, ["perplexity"] = result.Perplexity }).ConfigureAwait(false);
    }

    private async Task Route(HttpContext ctx)
    {
        var req = await ApiRequest.ReadAsync(ctx, _gate.Limits.MaxBodyBytes).ConfigureAwait(false);
        string text = req.RequiredString("text", _gate.Limits.MaxTextChars);
        var ct = ctx.RequestAborted;
        using var lease = await _gate.EnterAsync(ct).ConfigureAwait(false);
        var result = await Task.Run(() => RoutingTrace.Trace(_model, text, ct), ct).ConfigureAwait(false);
        await Json(ctx, 200, result).ConfigureAwait(false);
    }

    private async Task Completions(HttpContext ctx)
    {
        var limits = _gate.Limits;
        var req = await ApiRequest.ReadAsync(ctx, limits.MaxBodyBytes).ConfigureAwait(false);
        string prompt = req.RequiredString("prompt", limits.MaxTextChars);
        if (prompt.Length == 0) throw new ApiException(400, "'prompt' is empty; give at least one character to continue", "prompt");
        var options = new GenerationOptions
        {
            MaxTokens = (int)req.Integer("max_tokens", 16, 0, limits.MaxTokens),
            Temperature = req.Number("temperature", 1.0, 0, 100),
            TopP = req.Number("top_p", 1.0, double.Epsilon, 1),
            Seed = req.Integer("seed", 0, long.MinValue, long.MaxValue),
        };
        bool stream = req.Boolean("stream", false);
        int promptTokens = _model.EncodePrompt(prompt).Length;
        var ct = ctx.RequestAborted;
        using var lease = await _gate.EnterAsync(ct).ConfigureAwait(false);
        string id = "cmpl-" + Guid.NewGuid().ToString("N")[..24];
        long created = DateTimeOffset.UtcNow.ToUnixTimeSeconds();

        // The generator is synchronous: it runs on a pool thread and hands tokens over a channel.
        var channel = Channel.CreateBounded<GeneratedToken>(new BoundedChannelOptions(64) { SingleReader = true, SingleWriter = true });
        var producer = Task.Run(() =>
        {
            try
            {
                foreach (var token in TextGenerator.Stream(_model.Model, _model.Tokenizer, prompt, options, ct))
                    while (!channel.Writer.TryWrite(token))
                        channel.Writer.WaitToWriteAsync(ct).AsTask().GetAwaiter().GetResult();
                channel.Writer.Complete();
            }
            catch (Exception e)
            {
                channel.Writer.Complete(e);
            }
        }, CancellationToken.None);

        int count = 0;
        var text = new StringBuilder();
        try
        {
            if (stream)
            {
                ctx.Response.StatusCode = 200;
                ctx.Response.ContentType = "text/event-stream; charset=utf-8";
                ctx.Response.Headers.CacheControl = "no-cache";
                ctx.Response.Headers["X-Accel-Buffering"] = "no";
                await ctx.Response.StartAsync(ct).ConfigureAwait(false);
                await foreach (var token in channel.Reader.ReadAllAsync(ct).ConfigureAwait(false))
                {
                    count++;
                    bool last = count == options.MaxTokens;
                    await Event(ctx, Chunk(id, created, token.Text, token.Id, last ? "length" : null), ct).ConfigureAwait(false);
                }
                if (count < options.MaxTokens) await Event(ctx, Chunk(id, created, "", null, "stop"), ct).ConfigureAwait(false);
                await ctx.Response.WriteAsync("data: [DONE]\n\n", ct).ConfigureAwait(false);
                await ctx.Response.Body.FlushAsync(ct).ConfigureAwait(false);
            }
            else
            {
                await foreach (var token in channel.Reader.ReadAllAsync(ct).ConfigureAwait(false))
                {
                    count++;
                    text.Append(token.Text);
                }
                await Json(ctx, 200, new JsonObject
                {
                    ["id"] = id,
                    ["object"] = "text_completion",
                    ["created"] = created,
                    ["model"] = _model.Name,
                    ["choices"] = new JsonArray(new JsonObject
                    {
                        ["text"] = text.ToString(),
                        ["index"] = 0,
                        ["logprobs"] = null,
                        ["finish_reason"] = count == options.MaxTokens ? "length" : "stop",
                    }),
                    ["usage"] = new JsonObject { ["prompt_tokens"] = promptTokens, ["completion_tokens"] = count, ["total_tokens"] = promptTokens + count },
                }).ConfigureAwait(false);
            }
        }
        catch (ArgumentException e) when (!ctx.Response.HasStarted)
        {
            throw new ApiException(400, $"'prompt': {e.Message.Split(" (Parameter")[0]}", "prompt");
        }
        finally
        {
            ServeTelemetry.AddGenerated(count);
            await producer.ConfigureAwait(false);                   // the model is free again before the slot is
        }
    }

    private JsonObject Chunk(string id, long created, string text, int? token, string? finish) => new()
    {
        ["id"] = id,
        ["object"] = "text_completion",
        ["created"] = created,
        ["model"] = _model.Name,
        ["choices"] = new JsonArray(new JsonObject
        {
            ["text"] = text,
            ["index"] = 0,
            ["token"] = token,
            ["logprobs"] = null,
            ["finish_reason"] = finish,
        }),
    };

    private static async Task Event(HttpContext ctx, JsonObject data, CancellationToken ct)
    {
        await ctx.Response.WriteAsync(string.Create(CultureInfo.InvariantCulture, $"data: {data.ToJsonString()}\n\n"), ct).ConfigureAwait(false);
        await ctx.Response.Body.FlushAsync(ct).ConfigureAwait(false);
    }
}
