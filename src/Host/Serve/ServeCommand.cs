// `pluginmoe serve --checkpoint DIR [--urls URL] [--max-concurrent N] [--max-queue N] [--max-tokens N] [--check]`: the
// HTTP API and routing explorer for one checkpoint, until Ctrl+C (or the command's cancellation); --check stops after
// answering one /healthz.
using System.CommandLine;
using PluginMoE.Core.Composition;
using PluginMoE.Host.Cli;
using PluginMoE.Host.Configuration;
using PluginMoE.Host.Telemetry;

namespace PluginMoE.Host.Serve;

/// <summary>The <c>serve</c> command.</summary>
public static class ServeCommand
{
    /// <summary>Default listening address (loopback only).</summary>
    public const string DefaultUrl = "http://127.0.0.1:8080";

    /// <summary>Builds the command.</summary>
    public static Command Create(CliEnvironment env, Option<bool> verbose)
    {
        ArgumentNullException.ThrowIfNull(env);
        var defaults = new ServeLimits();
        var checkpoint = new Option<string>("--checkpoint") { Description = "Checkpoint folder (e.g. runs/<run>/train/model; eval.json beside it feeds the routing heatmap)", Required = true };
        var urls = new Option<string>("--urls") { Description = "Listening URL(s), ';'-separated", DefaultValueFactory = _ => DefaultUrl };
        var concurrent = new Option<int>("--max-concurrent") { Description = "Model requests running at once", DefaultValueFactory = _ => defaults.MaxConcurrent };
        var queue = new Option<int>("--max-queue") { Description = "Model requests waiting for a slot (more get 429)", DefaultValueFactory = _ => defaults.MaxQueue };
        var maxTokens = new Option<int>("--max-tokens") { Description = "Largest max_tokens of a completion", DefaultValueFactory = _ => defaults.MaxTokens };
        var maxChars = new Option<int>("--max-text-chars") { Description = "Longest prompt or text in characters", DefaultValueFactory = _ => defaults.MaxTextChars };
        var check = new Option<bool>("--check") { Description = "Start, answer one GET /healthz from this process, and stop (checks a checkpoint and address)" };
        var command = new Command("serve", "Serve a checkpoint over HTTP: OpenAI-style completions, score, routing, and the routing explorer page")
        {
            checkpoint, urls, concurrent, queue, maxTokens, maxChars, check,
        };
        command.SetAction((parse, ct) => Task.FromResult(CommandAction.Execute(env, parse.GetValue(verbose), () =>
        {
            var limits = new ServeLimits
            {
                MaxConcurrent = parse.GetValue(concurrent),
                MaxQueue = parse.GetValue(queue),
                MaxTokens = parse.GetValue(maxTokens),
                MaxTextChars = parse.GetValue(maxChars),
            };
            try { limits.Validate(); }
            catch (ArgumentOutOfRangeException e) { throw new ConfigurationException(e.Message.Split(" (Parameter")[0], e); }
            var list = parse.GetValue(urls)!.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            foreach (var u in list)
                if (!Uri.TryCreate(u, UriKind.Absolute, out var uri) || uri.Scheme != Uri.UriSchemeHttp)
                    throw new ConfigurationException($"--urls: '{u}' is not an http:// URL; use e.g. {DefaultUrl}");
            string dir = Path.GetFullPath(parse.GetValue(checkpoint)!, env.WorkingDirectory);
            ServedModel model;
            try { model = new ServedModel(CheckpointInput.Load(env, dir), dir); }
            catch (InvalidDataException e) { throw new ConfigurationException($"--checkpoint: cannot serve '{dir}': {e.Message}", e); }
            var settings = HostSettings.Load(LayeredConfiguration.Build(new ConfigurationRequest
            {
                HostDirectory = env.HostDirectory,
                WorkingDirectory = env.WorkingDirectory,
                Environment = env.Environment,
            }));
            using var telemetry = TelemetrySession.Start(null, settings.Telemetry);
            return Serve(env, model, list, limits, parse.GetValue(check), ct).GetAwaiter().GetResult();
        })));
        return command;
    }

    private static async Task<int> Serve(CliEnvironment env, ServedModel model, string[] urls, ServeLimits limits, bool check, CancellationToken ct)
    {
        await using var app = ServeApp.Create(model, urls, limits, env.Error);
        try
        {
            await app.StartAsync(ct).ConfigureAwait(false);
        }
        catch (IOException e)
        {
            throw new ConfigurationException($"--urls: cannot listen on {string.Join(", ", urls)}: {e.Message}", e);
        }
        env.Out.WriteLine($"pluginmoe serve: {model.Name} (tokenizer: {model.TokenizerName}{(model.TokenizerFile is { } f ? $", {f}" : "")}) on {string.Join(", ", app.Addresses)} (routing explorer at /, API under /v1; Ctrl+C stops)");
        if (check)
        {
            using var client = new HttpClient { BaseAddress = new Uri(app.Addresses[0]), Timeout = TimeSpan.FromSeconds(30) };
            using var response = await client.GetAsync(new Uri("/healthz", UriKind.Relative), ct).ConfigureAwait(false);
            env.Out.WriteLine($"pluginmoe serve: GET /healthz -> {(int)response.StatusCode} {await response.Content.ReadAsStringAsync(ct).ConfigureAwait(false)}");
            await app.StopAsync(CancellationToken.None).ConfigureAwait(false);
            env.Out.WriteLine("pluginmoe serve: stopped");
            return response.IsSuccessStatusCode ? ExitCodes.Success : ExitCodes.RunFailure;
        }
        try { await Task.Delay(Timeout.Infinite, ct).ConfigureAwait(false); }
        catch (OperationCanceledException) { }
        await app.StopAsync(CancellationToken.None).ConfigureAwait(false);
        env.Out.WriteLine("pluginmoe serve: stopped");
        return ExitCodes.Success;
    }
}
