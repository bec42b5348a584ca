// Reading a JSON request body within the size limit and its fields with type checks, so that malformed JSON or a
// wrong type is a 400 naming the field and what it accepts.
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;

namespace PluginMoE.Host.Serve;

/// <summary>A parsed JSON object body.</summary>
public sealed class ApiRequest
{
    private readonly JsonObject _body;

    private ApiRequest(JsonObject body) => _body = body;

    /// <summary>Reads the body of <paramref name="http"/> (at most <paramref name="maxBytes"/>) as a JSON object.</summary>
    public static async Task<ApiRequest> ReadAsync(HttpContext http, int maxBytes)
    {
        ArgumentNullException.ThrowIfNull(http);
        if (http.Request.ContentLength > maxBytes)
            throw new ApiException(413, $"the request body has {http.Request.ContentLength} bytes; the limit is {maxBytes}");
        var buffer = new MemoryStream();
        var chunk = new byte[8192];
        int read;
        while ((read = await http.Request.Body.ReadAsync(chunk, http.RequestAborted).ConfigureAwait(false)) > 0)
        {
            if (buffer.Length + read > maxBytes)
                throw new ApiException(413, $"the request body exceeds the limit of {maxBytes} bytes");
            buffer.Write(chunk, 0, read);
        }
        if (buffer.Length == 0)
            throw new ApiException(400, "the request body is empty; send a JSON object such as {\"prompt\": \"Hello\"}");
        JsonNode? node;
        try
        {
            node = JsonNode.Parse(buffer.ToArray(), documentOptions: new JsonDocumentOptions { MaxDepth = 16 });
        }
        catch (JsonException e)
        {
            throw new ApiException(400, $"the request body is not valid JSON (line {e.LineNumber + 1}, byte {e.BytePositionInLine}); send a JSON object");
        }
        if (node is not JsonObject obj)
            throw new ApiException(400, $"the request body must be a JSON object, got {Kind(node)}");
        return new ApiRequest(obj);
    }

    /// <summary>A required string field of at most <paramref name="maxChars"/> characters.</summary>
    public string RequiredString(string name, int maxChars)
    {
        var value = OptionalString(name, maxChars);
        return value ?? throw new ApiException(400, $"'{name}' is required: a string", name);
    }

    /// <summary>An optional string field (null when absent or null).</summary>
    public string? OptionalString(string name, int maxChars)
    {
        var node = _body[name];
        if (node is null) return null;
        if (node is not JsonValue v || v.GetValueKind() != JsonValueKind.String)
            throw new ApiException(400, $"'{name}' must be a string, got {Kind(node)}", name);
        string s = v.GetValue<string>();
        if (s.Length > maxChars)
            throw new ApiException(400, $"'{name}' has {s.Length} characters; the limit is {maxChars}", name);
        return s;
    }

    /// <summary>An optional integer field in [min, max].</summary>
    public long Integer(string name, long fallback, long min, long max)
    {
        var node = _body[name];
        if (node is null) return fallback;
        if (node is not JsonValue v || v.GetValueKind() != JsonValueKind.Number || !v.TryGetValue(out long n))
        {
            if (node is JsonValue d && d.GetValueKind() == JsonValueKind.Number && d.TryGetValue(out double x) && x == Math.Floor(x) && x >= min && x <= max)
                return (long)x;
            throw new ApiException(400, $"'{name}' must be an integer between {min} and {max}, got {Kind(node)}", name);
        }
        if (n < min || n > max)
            throw new ApiException(400, $"'{name}' must be between {min} and {max}, got {n}", name);
        return n;
    }

    /// <summary>An optional number field in [min, max].</summary>
    public double Number(string name, double fallback, double min, double max)
    {
        var node = _body[name];
        if (node is null) return fallback;
        if (node is not JsonValue v || v.GetValueKind() != JsonValueKind.Number)
            throw new ApiException(400, $"'{name}' must be a number between {min} and {max}, got {Kind(node)}", name);
        double x = v.GetValue<double>();
        if (!(x >= min && x <= max))
            throw new ApiException(400, $"'{name}' must be between {min} and {max}, got {x}", name);
        return x;
    }

    /// <summary>An optional boolean field.</summary>
    public bool Boolean(string name, bool fallback)
    {
        var node = _body[name];
        if (node is null) return fallback;
        if (node is JsonValue v && v.GetValueKind() is JsonValueKind.True or JsonValueKind.False) return v.GetValue<bool>();
        throw new ApiException(400, $"'{name}' must be true or false, got {Kind(node)}", name);
    }

    private static string Kind(JsonNode? node) => node switch
    {
        null => "null",
        JsonObject => "an object",
        JsonArray => "an array",
        JsonValue v => v.GetValueKind() switch
        {
            JsonValueKind.String => $"the string \"{Clip(v.GetValue<string>())}\"",
            JsonValueKind.Number => $"the number {v.ToJsonString()}",
            JsonValueKind.True or JsonValueKind.False => $"the boolean {v.ToJsonString()}",
            _ => v.ToJsonString(),
        },
        _ => "an unknown value",
    };

    private static string Clip(string s) => s.Length <= 40 ? s : s[..40] + "...";
}
