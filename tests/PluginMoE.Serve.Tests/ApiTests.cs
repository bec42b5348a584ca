// The HTTP API against a real server on loopback: every endpoint, its agreement with Core (Scorer, TextGenerator,
// the model's routing), streaming, and 4xx JSON errors for malformed or out-of-range requests.
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using PluginMoE.Core.Inference;
using PluginMoE.Core.Text;
using PluginMoE.Tensors;
using static PluginMoE.Tensors.torch;

namespace PluginMoE.Serve.Tests;

public class ApiTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private const string Text = "def main():\n    print('hello')\nPermission is hereby granted, free of charge.";

    private const string Short = "def main():\n    print('héllo')\n# Permission is granted.";   // < 64 bytes: one window

    private HttpClient Client => fixture.Server.Client;

    internal static async Task<(HttpStatusCode Status, JsonNode? Body, string Raw)> PostAsync(HttpClient client, string path, string json)
    {
        using var content = new StringContent(json, Encoding.UTF8, "application/json");
        using var response = await client.PostAsync(path, content);
        string raw = await response.Content.ReadAsStringAsync();
        Assert.DoesNotContain("   at ", raw);                    // never a stack trace
        JsonNode? body = null;
        if (response.Content.Headers.ContentType?.MediaType == "application/json") body = JsonNode.Parse(raw);
        return (response.StatusCode, body, raw);
    }

    [Fact]
    public async Task Healthz_ReportsOkAndTheModel()
    {
        var body = JsonNode.Parse(await Client.GetStringAsync("/healthz"))!;
        Assert.Equal("ok", (string?)body["status"]);
        Assert.Equal("tiny-run/train/model", (string?)body["model"]);
    }

    [Fact]
    public async Task Model_ReportsConfigCountsPluginsAndDomains()
    {
        var body = JsonNode.Parse(await Client.GetStringAsync("/v1/model"))!;
        var counts = fixture.Server.Model.Model.CountParameters();
        Assert.Equal(2, (int)body["config"]!["num_hidden_layers"]!);
        Assert.Equal(4, (int)body["config"]!["moe"]!["num_experts"]!);
        Assert.Equal(2, (int)body["config"]!["moe"]!["top_k"]!);
        Assert.Equal(counts.Total, (long)body["parameters"]!["total"]!);
        Assert.Equal(counts.ActiveInference, (long)body["parameters"]!["active_inference"]!);
        Assert.Equal("linear", (string?)body["plugins"]!["router"]);
        Assert.Equal("swiglu", (string?)body["plugins"]!["expert"]);
        Assert.Equal(["licenses", "python"], body["domains"]!.AsArray().Select(d => (string)d!).Order());
        Assert.NotNull(body["evaluation"]!["domains"]!["python"]!["routing"]!["layer1"]);
    }

    [Fact]
    public async Task Score_EqualsTheScorerOnTheSameModel()
    {
        var (status, body, _) = await PostAsync(Client, "/v1/score", new JsonObject { ["text"] = Text }.ToJsonString());
        Assert.Equal(HttpStatusCode.OK, status);
        var expected = Scorer.Score(fixture.Server.Model.Model, ByteTokenizer.Instance.Encode(Text));
        Assert.Equal(expected.Tokens, (long)body!["tokens"]!);
        Assert.Equal(expected.MeanNll, (double)body["mean_nll"]!, 12);
        Assert.Equal(expected.Perplexity, (double)body["perplexity"]!, 10);
    }

    [Fact]
    public async Task Route_GivesEveryTokenTheModelsExpertsAndGatesPerLayer_AndTheEvaluationShares()
    {
        var (status, body, _) = await PostAsync(Client, "/v1/route", new JsonObject { ["text"] = Short }.ToJsonString());
        Assert.Equal(HttpStatusCode.OK, status);
        var tokens = body!["tokens"]!.AsArray();
        int[] ids = ByteTokenizer.Instance.Encode(Short);
        Assert.Equal(ids.Length, tokens.Count);
        Assert.Equal(Short, string.Concat(tokens.Select(t => (string)t!["text"]!)));
        Assert.Equal([0, 1], body["layers"]!.AsArray().Select(l => (int)l!));

        // The same forward pass directly: experts and gates per layer, token by token.
        var direct = fixture.Server.Model.Model.forward(tensor(ids.Select(i => (long)i).ToArray(), [1, ids.Length]));
        foreach (var layer in direct.Routing)
        {
            var experts = layer.ExpertIndices.data<long>();
            var gates = layer.Gates!.to(ScalarType.Float64).data<double>();
            for (int t = 0; t < ids.Length; t++)
            {
                var entry = tokens[t]!["routing"]!.AsArray().Single(r => (int)r!["layer"]! == layer.Layer)!;
                Assert.Equal(experts.AsSpan(t * 2, 2).ToArray(), entry["experts"]!.AsArray().Select(e => (long)e!));
                var got = entry["gates"]!.AsArray().Select(g => (double)g!).ToArray();
                for (int j = 0; j < 2; j++) Assert.True(Math.Abs(gates[t * 2 + j] - got[j]) <= 6e-6, $"gate {got[j]} vs {gates[t * 2 + j]}");   // sent rounded to 5 decimals
            }
        }
        var shares = body["evaluation"]!["routing"]!["python"]!["layer0"]!.AsArray().Select(f => (double)f!).ToArray();
        Assert.Equal(4, shares.Length);
        Assert.Equal(1.0, shares.Sum(), 6);
    }

    [Fact]
    public async Task Route_TextLongerThanTheContext_IsRoutedWindowByWindow()
    {
        string text = string.Concat(Enumerable.Repeat("abcdefgh", 20));   // 160 tokens > 64 positions
        var (status, body, _) = await PostAsync(Client, "/v1/route", new JsonObject { ["text"] = text }.ToJsonString());
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(160, body!["tokens"]!.AsArray().Count);
    }

    [Fact]
    public async Task Completions_EqualTheGeneratorWithTheSameSeed()
    {
        var request = new JsonObject { ["prompt"] = "def ", ["max_tokens"] = 12, ["temperature"] = 0.8, ["top_p"] = 0.9, ["seed"] = 7 };
        var (status, body, _) = await PostAsync(Client, "/v1/completions", request.ToJsonString());
        Assert.Equal(HttpStatusCode.OK, status);
        string expected = TextGenerator.Generate(fixture.Server.Model.Model, ByteTokenizer.Instance, "def ",
            new GenerationOptions { MaxTokens = 12, Temperature = 0.8, TopP = 0.9, Seed = 7 });
        Assert.Equal("text_completion", (string?)body!["object"]);
        Assert.Equal(expected, (string?)body["choices"]![0]!["text"]);
        Assert.Equal("length", (string?)body["choices"]![0]!["finish_reason"]);
        Assert.Equal(4, (int)body["usage"]!["prompt_tokens"]!);
        Assert.Equal(12, (int)body["usage"]!["completion_tokens"]!);
        Assert.Equal(16, (int)body["usage"]!["total_tokens"]!);
    }

    [Fact]
    public async Task Completions_Stream_SendsOneEventPerTokenThenDone_WithTheSameText()
    {
        var request = new JsonObject { ["prompt"] = "Permission ", ["max_tokens"] = 10, ["temperature"] = 1.0, ["seed"] = 3 };
        var (_, whole, _) = await PostAsync(Client, "/v1/completions", request.ToJsonString());
        request["stream"] = true;
        using var message = new HttpRequestMessage(HttpMethod.Post, "/v1/completions") { Content = new StringContent(request.ToJsonString(), Encoding.UTF8, "application/json") };
        using var response = await Client.SendAsync(message, HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        var events = (await response.Content.ReadAsStringAsync()).Split("\n\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.All(events, e => Assert.StartsWith("data: ", e));
        Assert.Equal("data: [DONE]", events[^1]);
        var chunks = events[..^1].Select(e => JsonNode.Parse(e["data: ".Length..])!).ToList();
        Assert.Equal(10, chunks.Count);
        Assert.Equal((string?)whole!["choices"]![0]!["text"], string.Concat(chunks.Select(c => (string)c["choices"]![0]!["text"]!)));
        Assert.All(chunks[..^1], c => Assert.Null(c["choices"]![0]!["finish_reason"]));
        Assert.Equal("length", (string?)chunks[^1]["choices"]![0]!["finish_reason"]);
    }

    [Fact]
    public async Task Page_IsServedAtTheRootWithoutExternalResources()
    {
        using var response = await Client.GetAsync("/");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/html", response.Content.Headers.ContentType?.MediaType);
        string html = await response.Content.ReadAsStringAsync();
        Assert.Contains("routing explorer", html);
        Assert.DoesNotContain("https://", html);
        Assert.DoesNotContain("http://", html);
    }

    [Theory]
    [InlineData("/v1/completions", "{\"prompt\": \"hi\",", "not valid JSON")]
    [InlineData("/v1/completions", "[1, 2]", "must be a JSON object, got an array")]
    [InlineData("/v1/completions", "", "the request body is empty")]
    [InlineData("/v1/completions", "{\"max_tokens\": 3}", "'prompt' is required: a string")]
    [InlineData("/v1/completions", "{\"prompt\": 5}", "'prompt' must be a string, got the number 5")]
    [InlineData("/v1/completions", "{\"prompt\": \"hi\", \"max_tokens\": \"ten\"}", "'max_tokens' must be an integer between 0 and 1024, got the string \"ten\"")]
    [InlineData("/v1/completions", "{\"prompt\": \"hi\", \"max_tokens\": 5000}", "'max_tokens' must be between 0 and 1024, got 5000")]
    [InlineData("/v1/completions", "{\"prompt\": \"hi\", \"temperature\": -1}", "'temperature' must be between 0 and 100, got -1")]
    [InlineData("/v1/completions", "{\"prompt\": \"hi\", \"top_p\": 0}", "'top_p' must be between")]
    [InlineData("/v1/completions", "{\"prompt\": \"hi\", \"stream\": \"yes\"}", "'stream' must be true or false, got the string \"yes\"")]
    [InlineData("/v1/completions", "{\"prompt\": \"\"}", "'prompt' is empty")]
    [InlineData("/v1/score", "{\"text\": \"a\"}", "'text' has 1 token(s) under the model's tokenizer (byte); at least 2 are needed to score")]
    [InlineData("/v1/score", "{\"text\": \"abc\", \"context\": 1}", "'context' must be between 2 and 64, got 1")]
    [InlineData("/v1/route", "{\"text\": null}", "'text' is required: a string")]
    [InlineData("/v1/route", "{\"text\": \"\"}", "'text' is empty")]
    public async Task BadRequests_Get400WithAMessage(string path, string json, string message)
    {
        var (status, body, _) = await PostAsync(Client, path, json);
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains(message, (string?)body!["error"]!["message"]);
        Assert.Equal("invalid_request_error", (string?)body["error"]!["type"]);
    }

    [Fact]
    public async Task TooLongPrompt_Gets400_AndTooLargeBody_Gets413()
    {
        var (status, body, _) = await PostAsync(Client, "/v1/route", new JsonObject { ["text"] = new string('x', 16 * 1024 + 1) }.ToJsonString());
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("'text' has 16385 characters; the limit is 16384", (string?)body!["error"]!["message"]);

        (status, body, _) = await PostAsync(Client, "/v1/route", new JsonObject { ["text"] = new string('x', 70 * 1024) }.ToJsonString());
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, status);
        Assert.Contains("the limit is 65536", (string?)body!["error"]!["message"]);
    }

    [Fact]
    public async Task UnknownPath_Gets404_AndWrongMethod_Gets405_AsJson()
    {
        using var missing = await Client.GetAsync("/v1/nothing");
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        Assert.Contains("no endpoint at /v1/nothing", await missing.Content.ReadAsStringAsync());
        using var wrong = await Client.GetAsync("/v1/completions");
        Assert.Equal(HttpStatusCode.MethodNotAllowed, wrong.StatusCode);
        Assert.Contains("GET is not allowed on /v1/completions", await wrong.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task NonJsonContentWithJsonBody_IsStillParsed()
    {
        using var content = new StringContent("{\"text\": \"ab\"}", Encoding.UTF8);
        content.Headers.ContentType = new MediaTypeHeaderValue("text/plain");
        using var response = await Client.PostAsync("/v1/score", content);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }
}
