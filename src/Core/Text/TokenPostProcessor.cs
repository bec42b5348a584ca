// The Hugging Face tokenizers `post_processor` of a tokenizer.json for a single sequence: the special tokens put
// around the encoded text when a model is fed (Llama-3's TemplateProcessing adds <|begin_of_text|>; BERT/RoBERTa
// processors add CLS ... SEP; GPT-2's ByteLevel post-processor only trims offsets and adds nothing).
using System.Text.Json.Nodes;

namespace PluginMoE.Core.Text;

/// <summary>Special-token ids added before and after a single encoded sequence.</summary>
public sealed class TokenPostProcessor
{
    /// <summary>The post-processor types PluginMoE applies.</summary>
    public static IReadOnlyList<string> Supported { get; } = ["TemplateProcessing", "ByteLevel", "Sequence", "BertProcessing", "RobertaProcessing"];

    private TokenPostProcessor(int[] prefix, int[] suffix, JsonNode json)
    {
        Prefix = prefix;
        Suffix = suffix;
        Json = json;
    }

    /// <summary>Ids put before the sequence (e.g. BOS).</summary>
    public IReadOnlyList<int> Prefix { get; }

    /// <summary>Ids put after the sequence (e.g. EOS or SEP).</summary>
    public IReadOnlyList<int> Suffix { get; }

    /// <summary>The post-processor as written in tokenizer.json (saved back unchanged).</summary>
    public JsonNode Json { get; }

    /// <summary><see cref="Prefix"/> + <paramref name="ids"/> + <see cref="Suffix"/>.</summary>
    public int[] Apply(int[] ids)
    {
        ArgumentNullException.ThrowIfNull(ids);
        return [.. Prefix, .. ids, .. Suffix];
    }

    /// <summary>Reads the <c>post_processor</c> field; null for none.</summary>
    /// <exception cref="InvalidDataException">An unsupported or malformed post-processor; the message names <paramref name="source"/>, the type and what is supported.</exception>
    public static TokenPostProcessor? FromJson(JsonNode? node, string source)
    {
        if (node is null) return null;
        var prefix = new List<int>();
        var suffix = new List<int>();
        Visit(node, source, prefix, suffix);
        return new TokenPostProcessor([.. prefix], [.. suffix], node.DeepClone());
    }

    private static void Visit(JsonNode node, string source, List<int> prefix, List<int> suffix)
    {
        string type = node["type"]?.GetValue<string>() ?? throw new InvalidDataException($"{source}: post_processor has no 'type'");
        switch (type)
        {
            case "ByteLevel":
                return;                                                   // trims offsets only; adds no ids
            case "Sequence":
                foreach (var p in node["processors"] as JsonArray ?? throw new InvalidDataException($"{source}: post_processor Sequence has no 'processors' list"))
                    Visit(p ?? throw new InvalidDataException($"{source}: post_processor Sequence holds null"), source, prefix, suffix);
                return;
            case "BertProcessing" or "RobertaProcessing":
                // Single sequence: [CLS] A [SEP]; each is [token, id].
                prefix.Add(PairId(node["cls"], type, "cls", source));
                suffix.Add(PairId(node["sep"], type, "sep", source));
                return;
            case "TemplateProcessing":
                var special = node["special_tokens"] as JsonObject ?? [];
                bool seenSequence = false;
                foreach (var item in node["single"] as JsonArray ?? throw new InvalidDataException($"{source}: post_processor TemplateProcessing has no 'single' template"))
                {
                    if (item?["Sequence"] is not null) { seenSequence = true; continue; }
                    string name = item?["SpecialToken"]?["id"]?.GetValue<string>()
                        ?? throw new InvalidDataException($"{source}: post_processor TemplateProcessing: template item {item?.ToJsonString()} is neither a Sequence nor a SpecialToken");
                    var ids = special[name]?["ids"] as JsonArray
                        ?? throw new InvalidDataException($"{source}: post_processor TemplateProcessing uses special token '{name}', which special_tokens does not define");
                    (seenSequence ? suffix : prefix).AddRange(ids.Select(i => i!.GetValue<int>()));
                }
                return;
            default:
                throw new InvalidDataException($"{source}: post_processor '{type}' is not supported; supported: {string.Join(", ", Supported)}");
        }
    }

    private static int PairId(JsonNode? pair, string type, string field, string source) =>
        pair is JsonArray { Count: 2 } a && a[1] is JsonValue v ? v.GetValue<int>()
            : throw new InvalidDataException($"{source}: post_processor {type} needs '{field}' as [token, id]");
}
