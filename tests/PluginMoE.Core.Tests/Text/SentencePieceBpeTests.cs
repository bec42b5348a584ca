// SentencePiece-style BPE tokenizer.json files (the Llama-2 / Mistral-7B / Gemma layout), on a small file written
// here: spaces become '\u2581' through the normalizer, characters outside the vocabulary fall back to <0xNN> byte
// tokens (or the unknown token when a byte token is missing), merges apply to whole segments, and ids decode through
// the decoder chain (Replace, ByteFallback, Fuse, Strip). The real Llama-2 and Gemma files are checked against the
// Hugging Face library in HfInteropGoldenTests.
using System.Text.Json.Nodes;
using PluginMoE.Core.Text;

namespace PluginMoE.Core.Tests.Text;

public sealed class SentencePieceBpeTests
{
    // Ids: <unk> 0, <s> 1, </s> 2, <0x00>..<0xFF> 3..258 (without <0x41> when `dropByte`), then ▁ h e l o w r d and merges.
    internal static JsonObject LlamaStyleFile(bool dropByte = false, bool strip = true)
    {
        var vocab = new JsonObject { ["<unk>"] = 0, ["<s>"] = 1, ["</s>"] = 2 };
        for (int b = 0; b < 256; b++)
            if (!(dropByte && b == 0x41)) vocab[$"<0x{b:X2}>"] = 3 + b;
        string[] pieces = ["\u2581", "h", "e", "l", "o", "w", "r", "d", "ll", "\u2581h", "\u2581he", "\u2581hell", "\u2581hello", "\u2581w", "or", "\u2581wor", "\u2581worl", "\u2581world"];
        for (int i = 0; i < pieces.Length; i++) vocab[pieces[i]] = 259 + i;
        string[] merges = ["l l", "\u2581 h", "\u2581h e", "\u2581he ll", "\u2581hell o", "\u2581 w", "o r", "\u2581w or", "\u2581wor l", "\u2581worl d"];
        JsonArray decoders = [
            new JsonObject { ["type"] = "Replace", ["pattern"] = new JsonObject { ["String"] = "\u2581" }, ["content"] = " " },
            new JsonObject { ["type"] = "ByteFallback" },
            new JsonObject { ["type"] = "Fuse" },
        ];
        if (strip) decoders.Add(new JsonObject { ["type"] = "Strip", ["content"] = " ", ["start"] = 1, ["stop"] = 0 });
        return new JsonObject
        {
            ["added_tokens"] = new JsonArray(
                new JsonObject { ["id"] = 0, ["content"] = "<unk>", ["special"] = true },
                new JsonObject { ["id"] = 1, ["content"] = "<s>", ["special"] = true },
                new JsonObject { ["id"] = 2, ["content"] = "</s>", ["special"] = true }),
            ["normalizer"] = new JsonObject
            {
                ["type"] = "Sequence",
                ["normalizers"] = new JsonArray(
                    new JsonObject { ["type"] = "Prepend", ["prepend"] = "\u2581" },
                    new JsonObject { ["type"] = "Replace", ["pattern"] = new JsonObject { ["String"] = " " }, ["content"] = "\u2581" }),
            },
            ["pre_tokenizer"] = null,
            ["post_processor"] = new JsonObject
            {
                ["type"] = "TemplateProcessing",
                ["single"] = new JsonArray(new JsonObject { ["SpecialToken"] = new JsonObject { ["id"] = "<s>", ["type_id"] = 0 } }, new JsonObject { ["Sequence"] = new JsonObject { ["id"] = "A", ["type_id"] = 0 } }),
                ["special_tokens"] = new JsonObject { ["<s>"] = new JsonObject { ["id"] = "<s>", ["ids"] = new JsonArray(1), ["tokens"] = new JsonArray("<s>") } },
            },
            ["decoder"] = new JsonObject { ["type"] = "Sequence", ["decoders"] = decoders },
            ["model"] = new JsonObject
            {
                ["type"] = "BPE", ["unk_token"] = "<unk>", ["fuse_unk"] = true, ["byte_fallback"] = true,
                ["vocab"] = vocab, ["merges"] = new JsonArray([.. merges.Select(m => (JsonNode)m)]),
            },
        };
    }

    private static readonly BpeTokenizer Llama = HfTokenizerJson.Parse(LlamaStyleFile(), "llama.json");

    [Fact]
    public void Encode_MergesWholeSegmentsAfterThePrependedSpaceMark()
    {
        Assert.NotNull(Llama.SentencePiece);
        Assert.Equal([271, 276], Llama.Encode("hello world"));                          // ▁hello ▁world
        Assert.Equal([1, 271, 276], Llama.EncodeWithSpecialTokens("hello world"));      // <s> first
        Assert.Equal([1, 271, 2], Llama.Encode("<s>hello</s>"));                        // added tokens; the segment gets its ▁
        Assert.Equal([], Llama.Encode(""));
    }

    [Fact]
    public void Encode_CharacterOutsideTheVocabulary_FallsBackToItsUtf8ByteTokens()
    {
        // 'é' is C3 A9 -> <0xC3> <0xA9> = 3 + 0xC3, 3 + 0xA9.
        Assert.Equal([268, 3 + 0xC3, 3 + 0xA9], Llama.Encode("hé"));                     // ▁h <0xC3> <0xA9>
        Assert.Equal("hé", Llama.Decode(Llama.Encode("hé")));
    }

    [Fact]
    public void Encode_MissingByteToken_GivesTheUnknownTokenFusedOverARun()
    {
        var bpe = HfTokenizerJson.Parse(LlamaStyleFile(dropByte: true), "t.json");
        // 'A' (0x41) has no <0x41>: unknown; two in a row fuse into one <unk> (fuse_unk).
        Assert.Equal([259, 0, 261], bpe.Encode("AAe"));                                 // ▁ <unk> e
    }

    [Fact]
    public void Decode_StripsTheLeadingSpaceAndTurnsAnInvalidByteRunIntoOneReplacementPerByte()
    {
        Assert.Equal("hello world", Llama.Decode([271, 276]));
        // <0xE2> <0x82> is an unfinished 3-byte character: two U+FFFD, as the reference library's ByteFallback.
        Assert.Equal("h\ufffd\ufffdo", Llama.Decode([260, 3 + 0xE2, 3 + 0x82, 263]));
        var noStrip = HfTokenizerJson.Parse(LlamaStyleFile(strip: false), "gemma-like.json");
        Assert.Equal(" hello", noStrip.Decode([271]));
        Assert.Equal("<s> hello", Llama.Decode([1, 271]));
    }

    [Fact]
    public void Encode_LongSegment_MergesAsTheShortPath()
    {
        // A segment far beyond the queue threshold gives the same ids as its words encoded one at a time.
        string text = string.Join(" ", Enumerable.Repeat("hello world", 40));
        int[] expected = [.. Enumerable.Repeat<int[]>([271, 276], 40).SelectMany(x => x)];
        Assert.Equal(expected, Llama.Encode(text));
        Assert.Equal(text, Llama.Decode(Llama.Encode(text)));
    }

    [Fact]
    public void SaveLoad_KeepsTheFileAsItWas()
    {
        string dir = Directory.CreateTempSubdirectory("pluginmoe-sp-").FullName;
        try
        {
            CheckpointTokenizer.Save(dir, Llama);
            var loaded = (BpeTokenizer)CheckpointTokenizer.Load(dir);
            Assert.NotNull(loaded.SentencePiece);
            Assert.Equal(Llama.EncodeWithSpecialTokens("hello héllo world"), loaded.EncodeWithSpecialTokens("hello héllo world"));
            var json = JsonNode.Parse(File.ReadAllText(Path.Combine(dir, "tokenizer.json")))!;
            Assert.True(json["model"]!["byte_fallback"]!.GetValue<bool>());
            Assert.Equal("ByteFallback", json["decoder"]!["decoders"]![1]!["type"]!.GetValue<string>());
        }
        finally { Directory.Delete(dir, recursive: true); }
    }

    [Fact]
    public void HfFile_UnsupportedDecoderStep_IsRefusedNamingIt()
    {
        var file = LlamaStyleFile();
        file["decoder"] = new JsonObject { ["type"] = "CTC" };
        var e = Assert.Throws<InvalidDataException>(() => HfTokenizerJson.Parse(file, "t.json"));
        Assert.Equal("t.json: decoder 'CTC' is not supported for a SentencePiece-style BPE; supported: Sequence, Replace, ByteFallback, Fuse, Strip", e.Message);
    }

    [Fact]
    public void HfFile_ByteFallbackBesideByteLevel_IsRefused()
    {
        var file = BpeTokenizerTests.Gpt2StyleFile(false);
        file["model"]!["byte_fallback"] = true;
        var e = Assert.Throws<InvalidDataException>(() => HfTokenizerJson.Parse(file, "t.json"));
        Assert.StartsWith("t.json: model.byte_fallback is true beside a ByteLevel pre-tokenizer, a combination PluginMoE does not read. What works: a BPE tokenizer.json", e.Message);
    }
}
