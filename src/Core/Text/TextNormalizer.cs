// The Hugging Face tokenizers `normalizer` of a tokenizer.json: the text transformations applied before
// pre-tokenization (Unicode normal forms, lowercasing, replacements, prepending, stripping), as GPT-2 /
// Llama-3 style files and their fine-tuned variants use them. Unsupported kinds are refused by name.
using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace PluginMoE.Core.Text;

/// <summary>A tokenizer.json normalizer: a function on text, with the JSON it was read from.</summary>
public sealed class TextNormalizer
{
    /// <summary>The normalizer types PluginMoE applies.</summary>
    public static IReadOnlyList<string> Supported { get; } = ["Sequence", "NFC", "NFD", "NFKC", "NFKD", "Lowercase", "Replace", "Prepend", "Strip", "StripAccents"];

    private readonly Func<string, string> _apply;

    private TextNormalizer(Func<string, string> apply, JsonNode json)
    {
        _apply = apply;
        Json = json;
    }

    /// <summary>The normalizer as written in tokenizer.json (saved back unchanged).</summary>
    public JsonNode Json { get; }

    /// <summary>The normalized text.</summary>
    public string Apply(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return _apply(text);
    }

    /// <summary>Reads the <c>normalizer</c> field; null for none (JSON null or absent).</summary>
    /// <exception cref="InvalidDataException">An unsupported or malformed normalizer; the message names <paramref name="source"/>, the type and what is supported.</exception>
    public static TextNormalizer? FromJson(JsonNode? node, string source) =>
        node is null ? null : new TextNormalizer(Build(node, source), node.DeepClone());

    private static Func<string, string> Build(JsonNode node, string source)
    {
        string type = node["type"]?.GetValue<string>() ?? throw new InvalidDataException($"{source}: normalizer has no 'type'");
        switch (type)
        {
            case "Sequence":
                var parts = (node["normalizers"] as JsonArray ?? throw new InvalidDataException($"{source}: normalizer Sequence has no 'normalizers' list"))
                    .Select(n => Build(n ?? throw new InvalidDataException($"{source}: normalizer Sequence holds null"), source)).ToArray();
                return text => parts.Aggregate(text, (t, f) => f(t));
            case "NFC": return t => t.Normalize(NormalizationForm.FormC);
            case "NFD": return t => t.Normalize(NormalizationForm.FormD);
            case "NFKC": return t => t.Normalize(NormalizationForm.FormKC);
            case "NFKD": return t => t.Normalize(NormalizationForm.FormKD);
            case "Lowercase": return t => t.ToLowerInvariant();
            case "StripAccents":
                // Removes combining marks (Unicode category Mn), as the reference library does; usually after NFD.
                return t => string.Concat(t.Where(c => CharUnicodeInfo.GetUnicodeCategory(c) != UnicodeCategory.NonSpacingMark));
            case "Prepend":
                string prepend = node["prepend"]?.GetValue<string>() ?? throw new InvalidDataException($"{source}: normalizer Prepend has no 'prepend' string");
                return t => t.Length == 0 ? t : prepend + t;
            case "Strip":
                bool left = node["strip_left"]?.GetValue<bool>() ?? true, right = node["strip_right"]?.GetValue<bool>() ?? true;
                return t => left && right ? t.Trim() : left ? t.TrimStart() : right ? t.TrimEnd() : t;
            case "Replace":
                string content = node["content"]?.GetValue<string>() ?? throw new InvalidDataException($"{source}: normalizer Replace has no 'content' string");
                var pattern = node["pattern"];
                if (pattern?["String"]?.GetValue<string>() is { } literal)
                    return literal.Length == 0 ? t => t : t => t.Replace(literal, content, StringComparison.Ordinal);
                if (pattern?["Regex"]?.GetValue<string>() is { } regex)
                {
                    var r = new Regex(regex, RegexOptions.CultureInvariant);
                    return t => r.Replace(t, content.Replace("$", "$$", StringComparison.Ordinal));
                }
                throw new InvalidDataException($"{source}: normalizer Replace has no pattern.String or pattern.Regex");
            default:
                throw new InvalidDataException($"{source}: normalizer '{type}' is not supported; supported: {string.Join(", ", Supported)}");
        }
    }
}
