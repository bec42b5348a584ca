// The Hugging Face Split pre-tokenizer behaviours (the library's documented example "the-final--countdown" split on
// "-"), inverted splits (GPT-4o's file keeps the matches and removes the rest), patterns seeing one character per
// code point (astral letters and emoji, as the Hugging Face regex engine sees them), and the refusal of
// pre-tokenizers PluginMoE does not read, naming what works instead.
using System.Text.Json.Nodes;
using PluginMoE.Core.Text;

namespace PluginMoE.Core.Tests.Text;

public sealed class BpeSplitRuleTests
{
    private static string[] Pieces(BpePreTokenizer pre, string text) => [.. pre.Split(text).Select(p => text.Substring(p.Start, p.Length))];

    [Theory]
    [InlineData(SplitBehavior.Removed, new[] { "the", "final", "countdown" })]
    [InlineData(SplitBehavior.Isolated, new[] { "the", "-", "final", "-", "-", "countdown" })]
    [InlineData(SplitBehavior.MergedWithPrevious, new[] { "the-", "final-", "-", "countdown" })]
    [InlineData(SplitBehavior.MergedWithNext, new[] { "the", "-final", "-", "-countdown" })]
    [InlineData(SplitBehavior.Contiguous, new[] { "the", "-", "final", "--", "countdown" })]
    public void Split_Behaviors_AsTheHuggingFaceLibraryDocumentsThem(SplitBehavior behavior, string[] expected) =>
        Assert.Equal(expected, Pieces(new BpePreTokenizer([new BpeSplitRule("-", behavior)]), "the-final--countdown"));

    [Fact]
    public void Split_RemovedInverted_KeepsOnlyTheMatches()
    {
        var pre = new BpePreTokenizer([new BpeSplitRule(@"\p{L}+", SplitBehavior.Removed, Invert: true)]);
        Assert.Equal(["ab", "cd"], Pieces(pre, "ab, cd!"));
    }

    [Fact]
    public void Split_AstralCodePoints_AreOneCharacterOfTheirCategory()
    {
        var llama3 = new BpePreTokenizer([BpePreTokenizer.Llama3Pattern]);
        // An emoji (So) before letters joins them ([^\r\n\p{L}\p{N}]? is one code point); astral letters are \p{L}.
        Assert.Equal(["😀abc", " x", "😀y"], Pieces(llama3, "😀abc x😀y"));
        Assert.Equal(["𝒜𝒷𝒸", " math"], Pieces(llama3, "𝒜𝒷𝒸 math"));
        // Astral digits are \p{N}, three code points at most per piece.
        Assert.Equal(["𝟘𝟙𝟚", "𝟛"], Pieces(llama3, "𝟘𝟙𝟚𝟛"));
        // A lone surrogate is left as it is (one piece of its own category).
        Assert.Equal(["a", "\ud800", "b"], Pieces(new BpePreTokenizer([@"\p{L}+"]), "a\ud800b"));
    }

    [Fact]
    public void HfFile_SplitWithUnknownBehavior_IsRefusedNamingTheSupportedOnes()
    {
        var file = BpeTokenizerTests.Gpt2StyleFile(false);
        file["pre_tokenizer"] = new JsonObject { ["type"] = "Split", ["pattern"] = new JsonObject { ["String"] = " " }, ["behavior"] = "Sideways", ["invert"] = false };
        var e = Assert.Throws<InvalidDataException>(() => HfTokenizerJson.Parse(file, "t.json"));
        Assert.Equal("t.json: pre_tokenizer Split has behavior 'Sideways'; supported: Isolated, Removed, MergedWithPrevious, MergedWithNext, Contiguous", e.Message);
    }

    [Fact]
    public void HfFile_SaveLoad_KeepsSplitBehaviorAndInvert()
    {
        var file = BpeTokenizerTests.Gpt2StyleFile(false);
        file["pre_tokenizer"] = new JsonObject
        {
            ["type"] = "Sequence",
            ["pretokenizers"] = new JsonArray(
                new JsonObject { ["type"] = "Split", ["pattern"] = new JsonObject { ["Regex"] = @"\p{L}+|\s+" }, ["behavior"] = "Removed", ["invert"] = true },
                new JsonObject { ["type"] = "ByteLevel", ["add_prefix_space"] = false, ["use_regex"] = false }),
        };
        var bpe = HfTokenizerJson.Parse(file, "t.json");
        string path = Path.Combine(Directory.CreateTempSubdirectory("pluginmoe-split-").FullName, "tokenizer.json");
        try
        {
            HfTokenizerJson.Save(bpe, path);
            var loaded = HfTokenizerJson.Load(path);
            Assert.Equal(bpe.PreTokenizer.Rules, loaded.PreTokenizer.Rules);
            Assert.Equal(new BpeSplitRule(@"\p{L}+|\s+", SplitBehavior.Removed, true), loaded.PreTokenizer.Rules.Single());
            Assert.Equal(bpe.Encode("hello, world"), loaded.Encode("hello, world"));
            Assert.Equal("hello world", loaded.Decode(loaded.Encode("hello, world")));    // the comma is removed, as in the reference
        }
        finally { Directory.Delete(Path.GetDirectoryName(path)!, recursive: true); }
    }

    [Fact]
    public void HfFile_MetaspacePreTokenizer_IsRefusedNamingWhatWorks()
    {
        var file = BpeTokenizerTests.Gpt2StyleFile(false);
        file["pre_tokenizer"] = new JsonObject { ["type"] = "Metaspace", ["replacement"] = "\u2581", ["prepend_scheme"] = "first", ["split"] = false };
        var e = Assert.Throws<InvalidDataException>(() => HfTokenizerJson.Parse(file, "mistral/tokenizer.json"));
        Assert.Equal("mistral/tokenizer.json: pre_tokenizer 'Metaspace' is not supported; supported: ByteLevel, Split (any behavior), Sequence of them "
            + "(or none, for SentencePiece-style files). What works: a BPE tokenizer.json, byte-level (GPT-2, Llama-3, Qwen2/Qwen3, DeepSeek-V3, GPT-4o "
            + "style: ByteLevel or Split pre-tokenizers) or SentencePiece-style without a pre-tokenizer (Llama-2, Mistral-7B, Gemma), "
            + "Data:Tokenizer 'bpe' without a Path (trains one on the training split), or the 'byte' tokenizer", e.Message);
    }

    [Fact]
    public void Decode_TokenOutsideTheByteAlphabet_IsItsOwnUtf8()
    {
        var file = BpeTokenizerTests.Gpt2StyleFile(false);
        ((JsonObject)file["model"]!["vocab"]!)["\u2581x"] = 400;   // '▁' is not a byte-level character
        var bpe = HfTokenizerJson.Parse(file, "t.json");
        Assert.Equal("a\u2581x", bpe.Decode([.. bpe.Encode("a"), 400]));
    }
}
