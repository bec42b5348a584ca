// Real tokenizer.json files written by Hugging Face tools, encoded and decoded by PluginMoE and compared with the
// goldens of tools/interop/make-goldens.mjs (the Hugging Face tokenizers library itself, cross-checked with
// transformers.js). GPT-2's file (MIT) is committed gzipped and always checked; the larger files (Llama-3, Qwen3,
// DeepSeek-V3, GPT-4o, Llama-2, Gemma) are checked when PLUGINMOE_TOKENIZER_FILES names the folder that
// tools/interop/fetch-and-check.sh fills (NAME/tokenizer.json); without it their goldens are only checked for shape.
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using PluginMoE.Core.Text;

namespace PluginMoE.Core.Tests.Text;

public sealed class HfInteropGoldenTests
{
    internal static readonly string FixtureDir = Path.Combine(AppContext.BaseDirectory, "Fixtures", "tokenizers");

    // The real files whose goldens are committed (all but GPT-2's are fetched by tools/interop/fetch-and-check.sh).
    public static readonly TheoryData<string> FetchedNames = new() { "llama3", "qwen3", "deepseek_v3", "gpt4o", "llama2", "gemma" };

    private static readonly Lazy<(BpeTokenizer Tokenizer, byte[] Raw)> Gpt2 = new(() =>
    {
        using var gz = new GZipStream(File.OpenRead(Path.Combine(FixtureDir, "gpt2.tokenizer.json.gz")), CompressionMode.Decompress);
        using var ms = new MemoryStream();
        gz.CopyTo(ms);
        byte[] raw = ms.ToArray();
        return (HfTokenizerJson.Parse((JsonObject)JsonNode.Parse(raw)!, "gpt2.tokenizer.json"), raw);
    });

    internal static JsonObject Golden(string name) =>
        (JsonObject)JsonNode.Parse(File.ReadAllText(Path.Combine(FixtureDir, $"{name}.golden.json")))!;

    // Every deviation from the golden, one line each (empty when PluginMoE agrees on every text).
    internal static List<string> Deviations(BpeTokenizer tokenizer, JsonObject golden, byte[] raw)
    {
        var errors = new List<string>();
        string sha = Convert.ToHexStringLower(SHA256.HashData(raw));
        if (sha != golden["source_sha256"]!.GetValue<string>())
            errors.Add($"the tokenizer.json is not the file the golden was made from (sha256 {sha})");
        foreach (var c in golden["cases"]!.AsArray())
        {
            string id = c!["id"]!.GetValue<string>(), text = c["text"]!.GetValue<string>();
            int[] want = Ints(c["ids"]), wantSpecial = Ints(c["ids_with_special"]);
            int[] got = tokenizer.Encode(text);
            if (!want.SequenceEqual(got)) errors.Add($"{id}: encode {Show(got)}, want {Show(want)}");
            int[] gotSpecial = tokenizer.EncodeWithSpecialTokens(text);
            if (!wantSpecial.SequenceEqual(gotSpecial)) errors.Add($"{id}: encode with special tokens {Show(gotSpecial)}, want {Show(wantSpecial)}");
            string decoded = tokenizer.Decode(want);
            if (decoded != c["decoded"]!.GetValue<string>()) errors.Add($"{id}: decode '{Escape(decoded)}', want '{Escape(c["decoded"]!.GetValue<string>())}'");
            if (c["decoded_prefix"] is { } prefix && tokenizer.Decode(want.AsSpan(0, want.Length - 1)) is var dp && dp != prefix.GetValue<string>())
                errors.Add($"{id}: decode of all but the last id '{Escape(dp)}', want '{Escape(prefix.GetValue<string>())}'");
        }
        return errors;
    }

    private static int[] Ints(JsonNode? node) => [.. node!.AsArray().Select(n => n!.GetValue<int>())];

    private static string Show(int[] ids) => ids.Length <= 40 ? $"[{string.Join(",", ids)}]" : $"[{string.Join(",", ids.Take(40))},... ({ids.Length})]";

    private static string Escape(string s)
    {
        var sb = new StringBuilder();
        foreach (char ch in s) sb.Append(ch is < ' ' or (>= '\u007f' and < '\u00a0') ? $"\\u{(int)ch:x4}" : ch.ToString());
        return sb.ToString();
    }

    [Fact]
    public void Gpt2_RealFile_MatchesHuggingFaceOnEveryText()
    {
        var (tokenizer, raw) = Gpt2.Value;
        Assert.Equal(50257, tokenizer.VocabSize);
        var errors = Deviations(tokenizer, Golden("gpt2"), raw);
        Assert.True(errors.Count == 0, string.Join("\n", errors));
    }

    [Fact]
    public void Gpt2_RealFile_RoundTripsArbitraryTextAndBytes()
    {
        var t = Gpt2.Value.Tokenizer;
        foreach (var c in Golden("gpt2")["cases"]!.AsArray())
        {
            string text = c!["text"]!.GetValue<string>();
            Assert.Equal(text, t.Decode(t.Encode(text)));
        }
        var rng = new Random(11);
        for (int trial = 0; trial < 20; trial++)
        {
            var bytes = new byte[rng.Next(0, 120)];
            rng.NextBytes(bytes);
            Assert.Equal(bytes, t.DecodeBytes(t.EncodeBytes(bytes)));
        }
    }

    [Theory]
    [MemberData(nameof(FetchedNames))]
    public void FetchedRealFile_MatchesHuggingFaceOnEveryText(string name)
    {
        var golden = Golden(name);
        Assert.Equal(name, golden["tokenizer"]!.GetValue<string>());
        Assert.True(golden["cases"]!.AsArray().Count >= 20);
        if (Environment.GetEnvironmentVariable("PLUGINMOE_TOKENIZER_FILES") is not { Length: > 0 } dir) return;   // see the file header
        string path = Path.Combine(dir, name, "tokenizer.json");
        Assert.True(File.Exists(path), $"{path} is missing: run tools/interop/fetch-and-check.sh");
        byte[] raw = File.ReadAllBytes(path);
        var tokenizer = HfTokenizerJson.Parse((JsonObject)JsonNode.Parse(raw)!, path);
        var errors = Deviations(tokenizer, golden, raw);
        Assert.True(errors.Count == 0, string.Join("\n", errors));
    }
}
