// tokenizer.json normalizers and post-processors (files written here, never copied): the common kinds GPT-2 /
// Llama-3 style files use are applied (normal forms, lowercasing, replacements; a BOS template), they survive a
// save and load, and any other kind is refused naming it and what is supported.
using System.Text.Json.Nodes;
using PluginMoE.Core.Text;

namespace PluginMoE.Core.Tests.Text;

public sealed class HfNormalizerPostProcessorTests
{
    // The GPT-2 style file of BpeTokenizerTests: ids 'h' 71, 'o' 78, merges ll 256, he 257, hell 258, Ġw 259; <|endoftext|> 300.
    private static readonly BpeTokenizer Plain = HfTokenizerJson.Parse(BpeTokenizerTests.Gpt2StyleFile(false), "plain.json");

    private static BpeTokenizer With(JsonNode? normalizer = null, JsonNode? postProcessor = null, Action<JsonObject>? edit = null)
    {
        var file = BpeTokenizerTests.Gpt2StyleFile(false);
        file["normalizer"] = normalizer;
        file["post_processor"] = postProcessor;
        edit?.Invoke(file);
        return HfTokenizerJson.Parse(file, "t.json");
    }

    private static JsonObject Of(string type) => new() { ["type"] = type };

    [Fact]
    public void Nfc_ComposesBeforeEncoding()
    {
        var nfc = With(Of("NFC"));
        Assert.Equal(Plain.Encode("caf\u00e9"), nfc.Encode("cafe\u0301"));
        Assert.NotEqual(Plain.Encode("caf\u00e9"), Plain.Encode("cafe\u0301"));
    }

    [Fact]
    public void SequenceOfNfkcAndLowercase_AppliesBothInOrder()
    {
        var bpe = With(new JsonObject { ["type"] = "Sequence", ["normalizers"] = new JsonArray(Of("NFKC"), Of("Lowercase")) });
        // NFKC turns the ligature U+FB01 into "fi"; Lowercase then "HELLO" into "hello" (-> hell o = 258 78).
        Assert.Equal([258, 78, .. Plain.Encode(" fi")], bpe.Encode("HELLO \ufb01"));
    }

    [Fact]
    public void ReplacePrependStripAndStripAccents_AreApplied()
    {
        var replace = With(new JsonObject { ["type"] = "Replace", ["pattern"] = new JsonObject { ["String"] = " " }, ["content"] = "_" });
        Assert.Equal(Plain.Encode("a_b_c"), replace.Encode("a b c"));
        var regex = With(new JsonObject { ["type"] = "Replace", ["pattern"] = new JsonObject { ["Regex"] = "\\d+" }, ["content"] = "#" });
        Assert.Equal(Plain.Encode("x# y#"), regex.Encode("x12 y345"));
        var prepend = With(new JsonObject { ["type"] = "Prepend", ["prepend"] = " " });
        Assert.Equal(Plain.Encode(" world"), prepend.Encode("world"));
        var strip = With(new JsonObject { ["type"] = "Strip", ["strip_left"] = true, ["strip_right"] = false });
        Assert.Equal(Plain.Encode("hello  "), strip.Encode("  hello  "));
        var accents = With(new JsonObject { ["type"] = "Sequence", ["normalizers"] = new JsonArray(Of("NFD"), Of("StripAccents")) });
        Assert.Equal(Plain.Encode("cafe naive"), accents.Encode("caf\u00e9 na\u00efve"));
    }

    [Fact]
    public void Normalizer_LeavesAddedTokensAlone()
    {
        var bpe = With(Of("Lowercase"), edit: f => ((JsonArray)f["added_tokens"]!).Add(new JsonObject { ["id"] = 301, ["content"] = "<BOS>", ["special"] = true }));
        Assert.Equal([301, 258, 78], bpe.Encode("<BOS>HELLO"));
    }

    [Fact]
    public void TemplateProcessing_Llama3Style_PutsBosFirst_OnlyWhenSpecialTokensAreAsked()
    {
        var template = new JsonObject
        {
            ["type"] = "TemplateProcessing",
            ["single"] = new JsonArray(
                new JsonObject { ["SpecialToken"] = new JsonObject { ["id"] = "<|endoftext|>", ["type_id"] = 0 } },
                new JsonObject { ["Sequence"] = new JsonObject { ["id"] = "A", ["type_id"] = 0 } }),
            ["pair"] = new JsonArray(),
            ["special_tokens"] = new JsonObject
            {
                ["<|endoftext|>"] = new JsonObject { ["id"] = "<|endoftext|>", ["ids"] = new JsonArray(300), ["tokens"] = new JsonArray("<|endoftext|>") },
            },
        };
        // Llama-3 files wrap it in a Sequence after a ByteLevel post-processor (which adds nothing).
        var bpe = With(postProcessor: new JsonObject
        {
            ["type"] = "Sequence",
            ["processors"] = new JsonArray(new JsonObject { ["type"] = "ByteLevel", ["trim_offsets"] = false }, template),
        });
        Assert.Equal([258, 78], bpe.Encode("hello"));
        Assert.Equal([300, 258, 78], bpe.EncodeWithSpecialTokens("hello"));
    }

    [Fact]
    public void BertProcessing_PutsClsBeforeAndSepAfter()
    {
        var bpe = With(postProcessor: new JsonObject
        {
            ["type"] = "BertProcessing",
            ["cls"] = new JsonArray("<|endoftext|>", 300),
            ["sep"] = new JsonArray("<|endoftext|>", 300),
        });
        Assert.Equal([300, 258, 78, 300], bpe.EncodeWithSpecialTokens("hello"));
    }

    [Fact]
    public void NormalizerAndPostProcessor_SurviveSaveAndLoad()
    {
        var bpe = With(Of("Lowercase"), new JsonObject { ["type"] = "RobertaProcessing", ["cls"] = new JsonArray("<|endoftext|>", 300), ["sep"] = new JsonArray("<|endoftext|>", 300) });
        string dir = Directory.CreateTempSubdirectory("pluginmoe-hfnorm-").FullName;
        try
        {
            CheckpointTokenizer.Save(dir, bpe);
            var loaded = (BpeTokenizer)CheckpointTokenizer.Load(dir);
            Assert.Equal(bpe.EncodeWithSpecialTokens("Hello World"), loaded.EncodeWithSpecialTokens("Hello World"));
            Assert.Equal([300, 258, 78, 300], loaded.EncodeWithSpecialTokens("HELLO"));
        }
        finally { Directory.Delete(dir, recursive: true); }
    }

    [Fact]
    public void UnsupportedNormalizer_IsRefusedNamingItsTypeAndTheSupportedOnes()
    {
        var e = Assert.Throws<InvalidDataException>(() => With(new JsonObject
        {
            ["type"] = "Sequence", ["normalizers"] = new JsonArray(Of("NFC"), new JsonObject { ["type"] = "Precompiled", ["precompiled_charsmap"] = "AAAA" }),
        }));
        Assert.Equal("t.json: normalizer 'Precompiled' is not supported; supported: Sequence, NFC, NFD, NFKC, NFKD, Lowercase, Replace, Prepend, Strip, StripAccents", e.Message);
        Assert.StartsWith("t.json: normalizer 'BertNormalizer' is not supported;", Assert.Throws<InvalidDataException>(() => With(Of("BertNormalizer"))).Message);
    }

    [Fact]
    public void UnsupportedPostProcessor_IsRefusedNamingItsTypeAndTheSupportedOnes()
    {
        var e = Assert.Throws<InvalidDataException>(() => With(postProcessor: Of("CustomProcessing")));
        Assert.Equal("t.json: post_processor 'CustomProcessing' is not supported; supported: TemplateProcessing, ByteLevel, Sequence, BertProcessing, RobertaProcessing", e.Message);
        var undefined = new JsonObject
        {
            ["type"] = "TemplateProcessing",
            ["single"] = new JsonArray(new JsonObject { ["SpecialToken"] = new JsonObject { ["id"] = "<s>" } }, new JsonObject { ["Sequence"] = new JsonObject { ["id"] = "A" } }),
            ["special_tokens"] = new JsonObject(),
        };
        Assert.Equal("t.json: post_processor TemplateProcessing uses special token '<s>', which special_tokens does not define",
            Assert.Throws<InvalidDataException>(() => With(postProcessor: undefined)).Message);
    }
}
