// Bounded load test of `pluginmoe serve`: starts the server in process on 127.0.0.1 (a free port) for --checkpoint,
// runs --clients concurrent clients for --seconds (then stops by itself), and prints one JSON line per endpoint with
// request count, failures, 429s and latency percentiles, plus the p50 of GET /healthz measured in the same run
// as the reference (ratio = endpoint p50 / healthz p50).
// Usage: dotnet run -c Release --project bench/PluginMoE.Serve.LoadTest -- --checkpoint DIR [--clients 4] [--seconds 10]
//        [--max-tokens 16] [--max-concurrent 2] [--max-queue 16]
using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using PluginMoE.Host.Cli;
using PluginMoE.Host.Serve;

var c = CultureInfo.InvariantCulture;
string? checkpoint = null;
int clients = 4, seconds = 10, maxTokens = 16, maxConcurrent = 2, maxQueue = 16;
for (int i = 0; i < args.Length; i++)
{
    string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
    switch (args[i])
    {
        case "--checkpoint": checkpoint = Next(); break;
        case "--clients": clients = int.Parse(Next(), c); break;
        case "--seconds": seconds = int.Parse(Next(), c); break;
        case "--max-tokens": maxTokens = int.Parse(Next(), c); break;
        case "--max-concurrent": maxConcurrent = int.Parse(Next(), c); break;
        case "--max-queue": maxQueue = int.Parse(Next(), c); break;
        default:
            Console.Error.WriteLine($"unknown option '{args[i]}'; options: --checkpoint DIR, --clients N, --seconds T, --max-tokens N, --max-concurrent N, --max-queue N");
            return 2;
    }
}
if (checkpoint is null || clients < 1 || seconds < 1 || seconds > 600)
{
    Console.Error.WriteLine("--checkpoint DIR is required; --clients >= 1; --seconds in 1..600");
    return 2;
}

var env = new CliEnvironment { Out = Console.Out, Error = Console.Error, HandleConsoleSignals = false };
string dir = Path.GetFullPath(checkpoint);
var model = new ServedModel(CheckpointInput.Load(env, dir), dir);
await using var app = ServeApp.Create(model, ["http://127.0.0.1:0"], new ServeLimits { MaxConcurrent = maxConcurrent, MaxQueue = maxQueue }, Console.Error);
await app.StartAsync();
var address = new Uri(app.Addresses.Single());
using var http = new HttpClient { BaseAddress = address, Timeout = TimeSpan.FromSeconds(seconds + 60) };

string text = "def load(path):\n    with open(path) as f:\n        return f.read()\nPermission is hereby granted, free of charge.";
var requests = new (string Name, string Path, string Body)[]
{
    ("completions", "/v1/completions", new JsonObject { ["prompt"] = "def ", ["max_tokens"] = maxTokens, ["seed"] = 1 }.ToJsonString()),
    ("score", "/v1/score", new JsonObject { ["text"] = text }.ToJsonString()),
    ("route", "/v1/route", new JsonObject { ["text"] = text }.ToJsonString()),
};

async Task<(string Name, double Ms, int Status)> Send(int k)
{
    var (name, path, body) = requests[k % requests.Length];
    var watch = Stopwatch.StartNew();
    try
    {
        using var response = await http.PostAsync(path, new StringContent(body, Encoding.UTF8, "application/json"));
        await response.Content.ReadAsByteArrayAsync();
        return (name, watch.Elapsed.TotalMilliseconds, (int)response.StatusCode);
    }
    catch (HttpRequestException)
    {
        return (name, watch.Elapsed.TotalMilliseconds, 0);
    }
}

// Reference: sequential GET /healthz before the load.
var health = new List<double>();
for (int i = 0; i < 50; i++)
{
    var w = Stopwatch.StartNew();
    using var r = await http.GetAsync("/healthz");
    health.Add(w.Elapsed.TotalMilliseconds);
}

var results = new System.Collections.Concurrent.ConcurrentBag<(string Name, double Ms, int Status)>();
var deadline = DateTime.UtcNow.AddSeconds(seconds);
var workers = Enumerable.Range(0, clients).Select(id => Task.Run(async () =>
{
    for (int k = id; DateTime.UtcNow < deadline; k += clients) results.Add(await Send(k));
})).ToArray();
await Task.WhenAll(workers);
await app.StopAsync();

static double Percentile(List<double> sorted, double p) => sorted.Count == 0 ? double.NaN : sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(p * sorted.Count) - 1)];
health.Sort();
double healthP50 = Percentile(health, 0.5);
int failed = 0;
foreach (var group in results.GroupBy(r => r.Name).OrderBy(g => g.Key))
{
    var ok = group.Where(r => r.Status == 200).Select(r => r.Ms).Order().ToList();
    int rejected = group.Count(r => r.Status == 429), errors = group.Count(r => r.Status != 200 && r.Status != 429);
    failed += errors;
    Console.WriteLine(string.Create(c, $"{{\"endpoint\": \"{group.Key}\", \"clients\": {clients}, \"seconds\": {seconds}, \"requests\": {group.Count()}, \"ok\": {ok.Count}, \"rejected_429\": {rejected}, \"failed\": {errors}, \"p50_ms\": {Percentile(ok, 0.5):F2}, \"p90_ms\": {Percentile(ok, 0.9):F2}, \"p99_ms\": {Percentile(ok, 0.99):F2}, \"max_ms\": {(ok.Count > 0 ? ok[^1] : double.NaN):F2}, \"per_second\": {ok.Count / (double)seconds:F2}, \"ratio_p50_vs_healthz\": {Percentile(ok, 0.5) / healthP50:F1}}}"));
}
Console.WriteLine(string.Create(c, $"{{\"reference\": \"GET /healthz sequential\", \"p50_ms\": {healthP50:F3}, \"failed_total\": {failed}}}"));
return failed == 0 ? 0 : 1;
