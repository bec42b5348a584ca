// Admission control and cancellation on a real server: beyond MaxConcurrent + MaxQueue a request gets 429, and a
// client that disconnects mid-stream frees its slot (the generation is cancelled, not run to the end).
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using PluginMoE.Host.Serve;

namespace PluginMoE.Serve.Tests;

public class ConcurrencyTests
{
    private static HttpRequestMessage LongStream() => new(HttpMethod.Post, "/v1/completions")
    {
        Content = new StringContent(new JsonObject { ["prompt"] = "a", ["max_tokens"] = 1024, ["stream"] = true }.ToJsonString(), Encoding.UTF8, "application/json"),
    };

    private static async Task<int> InFlight(HttpClient client) => (int)JsonNode.Parse(await client.GetStringAsync("/healthz"))!["in_flight"]!;

    private static async Task WaitForInFlight(HttpClient client, int expected)
    {
        // Bounded wait for the server to notice a disconnect; the assertion is on the state, not on the time.
        for (int i = 0; i < 600 && await InFlight(client) != expected; i++) await Task.Delay(50);
        Assert.Equal(expected, await InFlight(client));
    }

    [Fact]
    public async Task BeyondTheLimitAndQueue_Gets429_AndADisconnectFreesTheSlot()
    {
        await using var server = await RunningServer.StartAsync(new ServeLimits { MaxConcurrent = 1, MaxQueue = 1 });
        using var holder = new HttpClient { BaseAddress = server.Address };
        using var waiter = new HttpClient { BaseAddress = server.Address };

        // 1: runs (a long stream, read until its first token).
        var running = await holder.SendAsync(LongStream(), HttpCompletionOption.ResponseHeadersRead);
        var stream = await running.Content.ReadAsStreamAsync();
        var first = new byte[6];
        await stream.ReadExactlyAsync(first);
        Assert.Equal("data: ", Encoding.ASCII.GetString(first));

        // 2: waits in the queue.
        var queued = waiter.PostAsync("/v1/score", new StringContent("{\"text\": \"queued text\"}", Encoding.UTF8, "application/json"));
        await WaitForInFlight(server.Client, 2);

        // 3: no room: 429 with a JSON message.
        var (status, body, _) = await ApiTests.PostAsync(server.Client, "/v1/route", "{\"text\": \"abc\"}");
        Assert.Equal(HttpStatusCode.TooManyRequests, status);
        Assert.Equal("rate_limit_error", (string?)body!["error"]!["type"]);
        Assert.Contains("the server is busy: 1 model request(s) are running and 1 waiting", (string?)body["error"]!["message"]);

        // The client of 1 disconnects: its generation stops, the queued request runs and succeeds.
        running.Dispose();
        using var done = await queued;
        Assert.Equal(HttpStatusCode.OK, done.StatusCode);
        await WaitForInFlight(server.Client, 0);
        Assert.DoesNotContain("failed", server.Log.ToString());
    }

    [Fact]
    public async Task ParallelRequestsWithinTheLimits_AllSucceed()
    {
        await using var server = await RunningServer.StartAsync(new ServeLimits { MaxConcurrent = 2, MaxQueue = 8 });
        var requests = Enumerable.Range(0, 6).Select(i => ApiTests.PostAsync(server.Client, "/v1/completions",
            new JsonObject { ["prompt"] = $"text {i}", ["max_tokens"] = 8, ["seed"] = i }.ToJsonString()));
        var results = await Task.WhenAll(requests);
        Assert.All(results, r => Assert.Equal(HttpStatusCode.OK, r.Status));
        Assert.All(results, r => Assert.Equal(8, (int)r.Body!["usage"]!["completion_tokens"]!));
    }
}
