// Bounds of `pluginmoe serve`: parallel model requests, queue length (429 beyond it), body size, prompt length and
// generated tokens; every request outside them gets a 4xx JSON error naming the bound.
namespace PluginMoE.Host.Serve;

/// <summary>Limits of the HTTP API.</summary>
public sealed record ServeLimits
{
    /// <summary>Model requests (completions, score, route) that run at the same time.</summary>
    public int MaxConcurrent { get; init; } = 2;

    /// <summary>Model requests that may wait for a slot; one more is answered 429.</summary>
    public int MaxQueue { get; init; } = 16;

    /// <summary>Largest request body in bytes (413 beyond it).</summary>
    public int MaxBodyBytes { get; init; } = 64 * 1024;

    /// <summary>Longest prompt or text in characters.</summary>
    public int MaxTextChars { get; init; } = 16 * 1024;

    /// <summary>Largest <c>max_tokens</c> of a completion.</summary>
    public int MaxTokens { get; init; } = 1024;

    /// <summary>Throws unless every limit is positive (the queue may be 0).</summary>
    public void Validate()
    {
        if (MaxConcurrent < 1) throw new ArgumentOutOfRangeException(nameof(MaxConcurrent), MaxConcurrent, $"serve: --max-concurrent must be at least 1, got {MaxConcurrent}");
        if (MaxQueue < 0) throw new ArgumentOutOfRangeException(nameof(MaxQueue), MaxQueue, $"serve: --max-queue must be 0 or more, got {MaxQueue}");
        if (MaxBodyBytes < 256) throw new ArgumentOutOfRangeException(nameof(MaxBodyBytes), MaxBodyBytes, $"serve: the body limit must be at least 256 bytes, got {MaxBodyBytes}");
        if (MaxTextChars < 1) throw new ArgumentOutOfRangeException(nameof(MaxTextChars), MaxTextChars, $"serve: --max-text-chars must be at least 1, got {MaxTextChars}");
        if (MaxTokens < 1) throw new ArgumentOutOfRangeException(nameof(MaxTokens), MaxTokens, $"serve: --max-tokens must be at least 1, got {MaxTokens}");
    }
}
