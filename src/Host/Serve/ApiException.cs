// A request the API refuses: its HTTP status, an OpenAI-style error type, the offending parameter and a message.
namespace PluginMoE.Host.Serve;

/// <summary>Thrown by request handlers for a 4xx answer; the message is sent to the client.</summary>
public sealed class ApiException : Exception
{
    /// <summary>Creates the error.</summary>
    public ApiException(int status, string message, string? param = null, string type = "invalid_request_error") : base(message)
    {
        Status = status;
        Param = param;
        Type = type;
    }

    /// <summary>HTTP status code.</summary>
    public int Status { get; }

    /// <summary>Name of the offending request field, if any.</summary>
    public string? Param { get; }

    /// <summary>Error type (<c>invalid_request_error</c>, <c>rate_limit_error</c>, ...).</summary>
    public string Type { get; }

    /// <summary>The JSON body sent with the error: <c>{"error": {"message", "type", "param", "code"}}</c>.</summary>
    public static System.Text.Json.Nodes.JsonObject Body(int status, string message, string type, string? param) => new()
    {
        ["error"] = new System.Text.Json.Nodes.JsonObject
        {
            ["message"] = message,
            ["type"] = type,
            ["param"] = param,
            ["code"] = status,
        },
    };
}
