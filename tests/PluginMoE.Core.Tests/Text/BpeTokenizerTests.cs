// Tests of the byte-level BPE tokenizer: round trips on arbitrary Unicode and invalid bytes, tokenizer.json
// files written here in the Hugging Face format (GPT-2 and Llama-3 style) encoding as specified, our own files
// round-tripping, and the errors for files it cannot read.
using System.Text;
using System.Text.Json.Nodes;
using PluginMoE.Core.Text;

namespace PluginMoE.Core.Tests.Text;

public sealed class BpeTokenizerTests
{
    private static readonly BpeTokenizer Trained = BpeTrainer.Train(
        Enumerable.Range(0, 50).Select(i => $"The quick brown fox {i} jumps over the lazy dog. Grüße, 世界! 🙂 naïve café\n"), 420);

    [Theory]
    [InlineData("")]
    [InlineData("plain ASCII text with  two spaces\tand a tab\n")]
    [InlineData("Grüße aus Köln, 世界, Ελληνικά, עברית, हिन्दी")]
    [InlineData("emoji 🙂👩‍👩‍👧 and astral 𝔸𝕓 and combining e\u0301")]
    [InlineData("\u0000\u0001 control \u007f and \r\n line ends")]
    public void EncodeDecode_ArbitraryUnicode_RoundTrips(string text) => Assert.Equal(text, Trained.Decode(Trained.Encode(text)));

    [Fact]
    public void EncodeBytesDecodeBytes_RandomAndInvalidBytes_RoundTripExactly()
    {
        var rng = new Random(3);
        for (int trial = 0; trial < 50; trial++)
        {
            var bytes = new byte[rng.Next(0, 200)];
            rng.NextBytes(bytes);
            Assert.Equal(bytes, Trained.DecodeBytes(Trained.EncodeBytes(bytes)));
        }
        byte[] mixed = [.. Encoding.UTF8.GetBytes("ok "), 0xC3, 0x28, 0xFF, .. Encoding.UTF8.GetBytes(" café"), 0xE2, 0x82];
        Assert.Equal(mixed, Trained.DecodeBytes(Trained.EncodeBytes(mixed)));
        Assert.Equal("ok \uFFFD(\uFFFD café\uFFFD", Trained.Decode(Trained.EncodeBytes(mixed)));
    }

    [Fact]
    public void SaveLoad_OwnTokenizer_EncodesIdentically()
    {
        string dir = Directory.CreateTempSubdirectory("pluginmoe-bpe-").FullName;
        try
        {
            CheckpointTokenizer.Save(dir, Trained);
            var loaded = CheckpointTokenizer.Load(dir);
            string text = "The lazy fox, 世界 🙂 and some new words";
            Assert.Equal(Trained.Encode(text), loaded.Encode(text));
            Assert.Equal(Trained.VocabSize, loaded.VocabSize);
            var json = JsonNode.Parse(File.ReadAllText(Path.Combine(dir, "tokenizer.json")))!;
            Assert.Equal("BPE", json["model"]!["type"]!.GetValue<string>());
            Assert.Equal("ByteLevel", json["pre_tokenizer"]!["type"]!.GetValue<string>());
            Assert.Same(ByteTokenizer.Instance, CheckpointTokenizer.Load(Path.GetTempPath() + "/no-such-checkpoint"));
        }
        finally { Directory.Delete(dir, recursive: true); }
    }

    // A GPT-2 style file: the 256 byte tokens with their GPT-2 ids (printable bytes first), four merges, an added token.
    internal static JsonObject Gpt2StyleFile(bool mergesAsPairs)
    {
        var vocab = new JsonObject();
        var order = Enumerable.Range(0, 256).OrderBy(b => ByteLevelAlphabet.Char((byte)b) >= 256 ? 1 : 0).ThenBy(b => ByteLevelAlphabet.Char((byte)b));
        int id = 0;
        foreach (int b in order) vocab[ByteLevelAlphabet.Char((byte)b).ToString()] = id++;
        string[][] merges = [["l", "l"], ["h", "e"], ["he", "ll"], ["\u0120", "w"]];
        foreach (var m in merges) vocab[m[0] + m[1]] = id++;
        return new JsonObject
        {
            ["version"] = "1.0",
            ["added_tokens"] = new JsonArray(new JsonObject { ["id"] = 300, ["content"] = "<|endoftext|>", ["special"] = true }),
            ["normalizer"] = null,
            ["pre_tokenizer"] = new JsonObject { ["type"] = "ByteLevel", ["add_prefix_space"] = false, ["trim_offsets"] = true, ["use_regex"] = true },
            ["model"] = new JsonObject
            {
                ["type"] = "BPE", ["vocab"] = vocab,
                ["merges"] = new JsonArray([.. merges.Select(m => mergesAsPairs ? (JsonNode)new JsonArray(m[0], m[1]) : $"{m[0]} {m[1]}")]),
            },
        };
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void HfFile_Gpt2Style_EncodesAsSpecified(bool mergesAsPairs)
    {
        var bpe = HfTokenizerJson.Parse(Gpt2StyleFile(mergesAsPairs), "test.json");
        // GPT-2 ids of bytes: '!'..'~' are 0..93, so 'h' = 0x68 - 0x21 = 71, 'o' = 78, 'r' = 81, 'd' = 67; Ġ (space) is
        // the 33rd unprintable byte: 188 + 32 = 220. Merges: ll 256, he 257, hell 258, Ġw 259.
        // "hello world" -> pre-tokens "hello", " world"; hello -> he ll o -> hell o; " world" -> Ġw o r l d.
        Assert.Equal([258, 78, 259, 78, 81, 75, 67, 300], bpe.Encode("hello world<|endoftext|>"));
        Assert.Equal("hello world<|endoftext|>", bpe.Decode([258, 78, 259, 78, 81, 75, 67, 300]));
        Assert.Equal(301, bpe.VocabSize);
    }

    [Fact]
    public void HfFile_Llama3StyleSplitAndIgnoreMerges_SplitsDigitsInThreesAndKeepsWholeWords()
    {
        var file = Gpt2StyleFile(false);
        file["pre_tokenizer"] = new JsonObject
        {
            ["type"] = "Sequence",
            ["pretokenizers"] = new JsonArray(
                new JsonObject { ["type"] = "Split", ["pattern"] = new JsonObject { ["Regex"] = BpePreTokenizer.Llama3Pattern }, ["behavior"] = "Isolated", ["invert"] = false },
                new JsonObject { ["type"] = "ByteLevel", ["add_prefix_space"] = false, ["trim_offsets"] = true, ["use_regex"] = false }),
        };
        var model = (JsonObject)file["model"]!;
        model["ignore_merges"] = true;
        ((JsonObject)model["vocab"]!)["\u0120hello"] = 301;          // in the vocabulary but not reachable by the merges
        var bpe = HfTokenizerJson.Parse(file, "llama.json");
        // "12345" -> "123" "45" (digits in groups of three); " hello" (the space belongs to the word) is a vocabulary entry -> emitted whole.
        var ids = bpe.Encode("12345 hello");
        Assert.Equal([16, 17, 18, 19, 20, 301], ids);
        Assert.Equal("12345 hello", bpe.Decode(ids));
    }

    [Fact]
    public void HfFile_WordPiece_IsRefusedNamingTheFileAndWhatWorks()
    {
        var file = Gpt2StyleFile(false);
        file["model"]!["type"] = "WordPiece";
        var e = Assert.Throws<InvalidDataException>(() => HfTokenizerJson.Parse(file, "bert/tokenizer.json"));
        Assert.Equal("bert/tokenizer.json: model.type is 'WordPiece'; PluginMoE reads byte-level BPE only (WordPiece, Unigram and WordLevel are not implemented). "
            + "What works: a BPE tokenizer.json, byte-level (GPT-2, Llama-3, Qwen2/Qwen3, DeepSeek-V3, GPT-4o style: ByteLevel or Split pre-tokenizers) "
            + "or SentencePiece-style without a pre-tokenizer (Llama-2, Mistral-7B, Gemma), "
            + "Data:Tokenizer 'bpe' without a Path (trains one on the training split), or the 'byte' tokenizer", e.Message);
    }

    [Fact]
    public void HfFile_MissingByte_IsRefusedNamingIt()
    {
        var file = Gpt2StyleFile(false);
        ((JsonObject)file["model"]!["vocab"]!).Remove("A");
        var e = Assert.Throws<InvalidDataException>(() => HfTokenizerJson.Parse(file, "t.json"));
        Assert.Equal("t.json: bpe: the vocabulary lacks the single-byte token of byte 0x41 ('A'); a byte-level BPE vocabulary needs all 256", e.Message);
    }
}
