// Reads and writes the Hugging Face tokenizers `tokenizer.json` format for BPE: byte-level (GPT-2, Llama-3, Qwen,
// DeepSeek-V3, GPT-4o and the like: model.vocab and model.merges, the ByteLevel / Split / Sequence pre-tokenizers)
// and SentencePiece-style (Llama-2, Mistral-7B, Gemma: no pre-tokenizer, <0xNN> byte fallback, a decoder chain),
// added tokens, the common normalizers (TextNormalizer) and post-processors (TokenPostProcessor).
// PluginMoE's own tokenizers are written in the same format, so other tools can load them too.
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace PluginMoE.Core.Text;

/// <summary>tokenizer.json &lt;-&gt; <see cref="BpeTokenizer"/>.</summary>
public static class HfTokenizerJson
{
    /// <summary>The file name beside a checkpoint.</summary>
    public const string FileName = "tokenizer.json";

    // What the refusals of other tokenizer kinds suggest instead.
    private const string WhatWorks = "What works: a BPE tokenizer.json, byte-level (GPT-2, Llama-3, Qwen2/Qwen3, DeepSeek-V3, GPT-4o style: "
        + "ByteLevel or Split pre-tokenizers) or SentencePiece-style without a pre-tokenizer (Llama-2, Mistral-7B, Gemma), "
        + "Data:Tokenizer 'bpe' without a Path (trains one on the training split), or the 'byte' tokenizer";

    /// <summary>Loads a byte-level BPE tokenizer.json.</summary>
    /// <exception cref="InvalidDataException">The file is not byte-level BPE or uses a feature PluginMoE does not implement; the message names the file and the field.</exception>
    public static BpeTokenizer Load(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        JsonNode? root;
        try { root = JsonNode.Parse(File.ReadAllText(path), documentOptions: new JsonDocumentOptions { AllowTrailingCommas = true }); }
        catch (JsonException e) { throw new InvalidDataException($"{path}: not valid JSON: {e.Message}", e); }
        if (root is not JsonObject obj) throw new InvalidDataException($"{path}: expected a JSON object with a 'model' field");
        return Parse(obj, path);
    }

    /// <summary>Parses a tokenizer.json object; <paramref name="source"/> names it in errors.</summary>
    public static BpeTokenizer Parse(JsonObject root, string source)
    {
        ArgumentNullException.ThrowIfNull(root);
        void Fail(string what) => throw new InvalidDataException($"{source}: {what}");
        var model = root["model"] as JsonObject ?? throw new InvalidDataException($"{source}: missing 'model' object");
        string type = model["type"]?.GetValue<string>() ?? "BPE";
        if (type != "BPE") Fail($"model.type is '{type}'; PluginMoE reads byte-level BPE only (WordPiece, Unigram and WordLevel are not implemented). {WhatWorks}");
        bool byteFallback = model["byte_fallback"]?.GetValue<bool>() == true;
        // SentencePiece-style (Llama-2, Mistral-7B, Gemma): no ByteLevel step anywhere; text vocabulary, <0xNN> fallback.
        bool byteLevelPre = Mentions(root["pre_tokenizer"], "ByteLevel");
        if (byteFallback && byteLevelPre) Fail($"model.byte_fallback is true beside a ByteLevel pre-tokenizer, a combination PluginMoE does not read. {WhatWorks}");
        bool sentencePiece = byteFallback || (!byteLevelPre && root["decoder"] is JsonObject d && !Mentions(d, "ByteLevel"));
        foreach (var key in new[] { "continuing_subword_prefix", "end_of_word_suffix" })
            if (model[key] is JsonValue v && v.GetValue<string>() is { Length: > 0 } s) Fail($"model.{key} is '{s}'; byte-level BPE files leave it null");
        var normalizer = TextNormalizer.FromJson(root["normalizer"], source);
        var postProcessor = TokenPostProcessor.FromJson(root["post_processor"], source);

        var vocab = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var (token, id) in model["vocab"] as JsonObject ?? throw new InvalidDataException($"{source}: missing model.vocab"))
            vocab[token] = id?.GetValue<int>() ?? throw new InvalidDataException($"{source}: model.vocab['{token}'] is null");
        var merges = new List<(string, string)>();
        foreach (var m in model["merges"] as JsonArray ?? [])
        {
            if (m is JsonArray pair && pair.Count == 2) merges.Add((pair[0]!.GetValue<string>(), pair[1]!.GetValue<string>()));
            else if (m is JsonValue text && text.GetValue<string>() is { } s && s.Split(' ') is [var l, var r]) merges.Add((l, r));
            else Fail($"model.merges[{merges.Count}] is {m?.ToJsonString()}; expected \"left right\" or [\"left\", \"right\"]");
        }
        var added = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var t in root["added_tokens"] as JsonArray ?? [])
            if (t is JsonObject o && o["content"]?.GetValue<string>() is { } content && o["id"]?.GetValue<int>() is { } id)
                added[content] = id;
        var pre = PreTokenizer(root["pre_tokenizer"], source);
        SentencePieceBpe? sp = null;
        if (sentencePiece)
        {
            if (pre.Rules.Count > 0 || pre.AddPrefixSpace)
                Fail($"a SentencePiece-style BPE (no ByteLevel step) with a pre_tokenizer is not supported; PluginMoE reads those with pre_tokenizer null (Llama-2, Mistral-7B, Gemma). {WhatWorks}");
            int? unk = model["unk_token"]?.GetValue<string>() is { } unkToken
                ? (vocab.TryGetValue(unkToken, out int u) || added.TryGetValue(unkToken, out u) ? u : throw new InvalidDataException($"{source}: model.unk_token '{unkToken}' is not in the vocabulary"))
                : null;
            sp = new SentencePieceBpe(byteFallback, unk, model["fuse_unk"]?.GetValue<bool>() ?? false, TokenDecoder.FromJson(root["decoder"], source), (JsonObject)root.DeepClone());
        }
        try { return new BpeTokenizer(vocab, merges, pre, added, model["ignore_merges"]?.GetValue<bool>() ?? false, normalizer, postProcessor, sp); }
        catch (ArgumentException e) { throw new InvalidDataException($"{source}: {e.Message}", e); }
    }

    // Whether a pre_tokenizer or decoder (or a Sequence of them) has a step of type `kind`.
    private static bool Mentions(JsonNode? node, string kind) => node switch
    {
        JsonObject o => o["type"]?.GetValue<string>() == kind || o.Any(kv => kv.Value is JsonArray a && a.Any(x => Mentions(x, kind))),
        _ => false,
    };

    private static BpePreTokenizer PreTokenizer(JsonNode? node, string source)
    {
        var rules = new List<BpeSplitRule>();
        bool prefixSpace = false;
        void Visit(JsonNode? n)
        {
            if (n is null) return;
            string kind = n["type"]?.GetValue<string>() ?? "";
            switch (kind)
            {
                case "Sequence":
                    foreach (var p in n["pretokenizers"] as JsonArray ?? []) Visit(p);
                    break;
                case "ByteLevel":
                    prefixSpace |= n["add_prefix_space"]?.GetValue<bool>() ?? false;
                    if (n["use_regex"]?.GetValue<bool>() ?? true) rules.Add(new BpeSplitRule(BpePreTokenizer.Gpt2Pattern));
                    break;
                case "Split":
                    string behavior = n["behavior"]?.GetValue<string>() ?? "Isolated";
                    if (!Enum.TryParse<SplitBehavior>(behavior, ignoreCase: false, out var b) || !Enum.IsDefined(b))
                        throw new InvalidDataException($"{source}: pre_tokenizer Split has behavior '{behavior}'; supported: {string.Join(", ", Enum.GetNames<SplitBehavior>())}");
                    var pattern = n["pattern"];
                    string regex = pattern?["Regex"]?.GetValue<string>() ?? Regex.Escape(pattern?["String"]?.GetValue<string>()
                        ?? throw new InvalidDataException($"{source}: pre_tokenizer Split has no pattern.Regex or pattern.String"));
                    try { _ = new Regex(regex, RegexOptions.CultureInvariant); }
                    catch (ArgumentException e) { throw new InvalidDataException($"{source}: pre_tokenizer Split pattern '{regex}' is not a regex .NET can run: {e.Message}", e); }
                    rules.Add(new BpeSplitRule(regex, b, n["invert"]?.GetValue<bool>() ?? false));
                    break;
                default:
                    throw new InvalidDataException($"{source}: pre_tokenizer '{kind}' is not supported; supported: ByteLevel, Split (any behavior), Sequence of them (or none, for SentencePiece-style files). {WhatWorks}");
            }
        }
        Visit(node);
        return new BpePreTokenizer(rules, prefixSpace);
    }

    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = false, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>Writes <paramref name="tokenizer"/> as a tokenizer.json that the Hugging Face library loads as well.</summary>
    public static void Save(BpeTokenizer tokenizer, string path)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        if (tokenizer.SentencePiece is { } sp)
        {
            WriteAtomically(sp.Source, path);                             // a loaded SentencePiece-style file is kept as it was
            return;
        }
        var pre = tokenizer.PreTokenizer;
        JsonNode preNode = pre.Rules is [{ Pattern: BpePreTokenizer.Gpt2Pattern, Behavior: SplitBehavior.Isolated, Invert: false }]
            ? ByteLevel(pre.AddPrefixSpace, useRegex: true)
            : new JsonObject
            {
                ["type"] = "Sequence",
                ["pretokenizers"] = new JsonArray([.. pre.Rules.Select(r => (JsonNode)new JsonObject
                {
                    ["type"] = "Split", ["pattern"] = new JsonObject { ["Regex"] = r.Pattern }, ["behavior"] = r.Behavior.ToString(), ["invert"] = r.Invert,
                }), ByteLevel(pre.AddPrefixSpace, useRegex: false)]),
            };
        var vocab = new JsonObject();
        foreach (var (token, id) in tokenizer.Vocabulary.OrderBy(kv => kv.Value)) vocab[token] = id;
        var root = new JsonObject
        {
            ["version"] = "1.0",
            ["truncation"] = null,
            ["padding"] = null,
            ["added_tokens"] = new JsonArray([.. tokenizer.AddedTokens.OrderBy(kv => kv.Value).Select(kv => (JsonNode)new JsonObject
            {
                ["id"] = kv.Value, ["content"] = kv.Key, ["single_word"] = false, ["lstrip"] = false, ["rstrip"] = false, ["normalized"] = false, ["special"] = true,
            })]),
            ["normalizer"] = tokenizer.Normalizer?.Json.DeepClone(),
            ["pre_tokenizer"] = preNode,
            ["post_processor"] = tokenizer.PostProcessor?.Json.DeepClone(),
            ["decoder"] = ByteLevel(true, true),
            ["model"] = new JsonObject
            {
                ["type"] = "BPE", ["dropout"] = null, ["unk_token"] = null, ["continuing_subword_prefix"] = null, ["end_of_word_suffix"] = null,
                ["fuse_unk"] = false, ["byte_fallback"] = false, ["ignore_merges"] = tokenizer.IgnoreMerges,
                ["vocab"] = vocab,
                ["merges"] = new JsonArray([.. tokenizer.Merges.Select(m => (JsonNode)$"{m.Left} {m.Right}")]),
            },
        };
        WriteAtomically(root, path);
    }

    private static void WriteAtomically(JsonObject root, string path)
    {
        string dir = Path.GetDirectoryName(Path.GetFullPath(path))!;
        Directory.CreateDirectory(dir);
        string temp = Path.Combine(dir, $".{Path.GetFileName(path)}.{Environment.ProcessId}.tmp");
        File.WriteAllText(temp, root.ToJsonString(Indented));
        File.Move(temp, path, overwrite: true);
    }

    private static JsonObject ByteLevel(bool addPrefixSpace, bool useRegex) =>
        new() { ["type"] = "ByteLevel", ["add_prefix_space"] = addPrefixSpace, ["trim_offsets"] = true, ["use_regex"] = useRegex };
}
