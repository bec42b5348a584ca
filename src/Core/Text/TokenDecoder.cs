// The Hugging Face tokenizers `decoder` of a SentencePiece-style BPE tokenizer.json (Llama-2, Mistral-7B, Gemma):
// the token strings of the ids pass through a chain of steps: Replace ('\u2581' back to a space), ByteFallback
// (runs of <0xNN> tokens become their UTF-8 text, or one U+FFFD per byte when the run is not valid UTF-8), Fuse
// (one string) and Strip (a leading space that the Prepend normalizer put there). Byte-level files decode through
// ByteLevelAlphabet instead (BpeTokenizer). Unsupported kinds are refused by name.
using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;

namespace PluginMoE.Core.Text;

/// <summary>A tokenizer.json decoder for SentencePiece-style BPE: token strings -> text.</summary>
public sealed class TokenDecoder
{
    /// <summary>The decoder types PluginMoE applies to SentencePiece-style files.</summary>
    public static IReadOnlyList<string> Supported { get; } = ["Sequence", "Replace", "ByteFallback", "Fuse", "Strip"];

    private readonly Func<List<string>, List<string>> _apply;

    private TokenDecoder(Func<List<string>, List<string>> apply) => _apply = apply;

    /// <summary>The text of <paramref name="tokens"/> (the steps in order, then the pieces joined).</summary>
    public string Apply(IEnumerable<string> tokens)
    {
        ArgumentNullException.ThrowIfNull(tokens);
        return string.Concat(_apply([.. tokens]));
    }

    /// <summary>Reads the <c>decoder</c> field; null for none.</summary>
    /// <exception cref="InvalidDataException">An unsupported or malformed decoder; the message names <paramref name="source"/>, the type and what is supported.</exception>
    public static TokenDecoder? FromJson(JsonNode? node, string source) => node is null ? null : new TokenDecoder(Build(node, source));

    private static Func<List<string>, List<string>> Build(JsonNode node, string source)
    {
        string type = node["type"]?.GetValue<string>() ?? throw new InvalidDataException($"{source}: decoder has no 'type'");
        switch (type)
        {
            case "Sequence":
                var steps = (node["decoders"] as JsonArray ?? throw new InvalidDataException($"{source}: decoder Sequence has no 'decoders' list"))
                    .Select(n => Build(n ?? throw new InvalidDataException($"{source}: decoder Sequence holds null"), source)).ToArray();
                return tokens => steps.Aggregate(tokens, (t, f) => f(t));
            case "Replace":
                string content = node["content"]?.GetValue<string>() ?? throw new InvalidDataException($"{source}: decoder Replace has no 'content' string");
                string literal = node["pattern"]?["String"]?.GetValue<string>()
                    ?? throw new InvalidDataException($"{source}: decoder Replace needs pattern.String (a regex pattern is not supported)");
                return tokens => literal.Length == 0 ? tokens : [.. tokens.Select(t => t.Replace(literal, content, StringComparison.Ordinal))];
            case "ByteFallback":
                return ByteFallback;
            case "Fuse":
                return tokens => [string.Concat(tokens)];
            case "Strip":
                string strip = node["content"]?.GetValue<string>() ?? " ";
                int start = node["start"]?.GetValue<int>() ?? 0, stop = node["stop"]?.GetValue<int>() ?? 0;
                return tokens => [.. tokens.Select(t => Strip(t, strip, start, stop))];
            default:
                throw new InvalidDataException($"{source}: decoder '{type}' is not supported for a SentencePiece-style BPE; supported: {string.Join(", ", Supported)}");
        }
    }

    // Runs of <0xNN> tokens become their bytes' UTF-8 text; a run that is not valid UTF-8 becomes one U+FFFD per byte.
    private static List<string> ByteFallback(List<string> tokens)
    {
        var output = new List<string>(tokens.Count);
        var run = new List<byte>();
        void Flush()
        {
            if (run.Count == 0) return;
            try { output.Add(new UTF8Encoding(false, throwOnInvalidBytes: true).GetString([.. run])); }
            catch (DecoderFallbackException) { output.AddRange(Enumerable.Repeat("\uFFFD", run.Count)); }
            run.Clear();
        }
        foreach (var t in tokens)
        {
            if (ByteToken(t) is byte b) { run.Add(b); continue; }
            Flush();
            output.Add(t);
        }
        Flush();
        return output;
    }

    /// <summary>The byte of a <c>&lt;0xNN&gt;</c> token, or null for any other token.</summary>
    public static byte? ByteToken(string token) =>
        token is { Length: 6 } && token.StartsWith("<0x", StringComparison.Ordinal) && token[5] == '>'
        && byte.TryParse(token.AsSpan(3, 2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out byte b) ? b : null;

    // Removes up to `start` leading and `stop` trailing occurrences of `content` (a single character in practice).
    private static string Strip(string token, string content, int start, int stop)
    {
        if (content.Length == 0) return token;
        int from = 0, to = token.Length;
        for (int i = 0; i < start && token.AsSpan(from, to - from).StartsWith(content, StringComparison.Ordinal); i++) from += content.Length;
        for (int i = 0; i < stop && token.AsSpan(from, to - from).EndsWith(content, StringComparison.Ordinal); i++) to -= content.Length;
        return token[from..to];
    }
}
