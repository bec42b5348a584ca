// Property tests (CsCheck) of the byte and byte-level BPE tokenizers (src/Core/Text): encode -> decode round-trips
// for arbitrary well-formed Unicode (surrogate pairs, combining marks, ZWJ sequences, NUL, CR/LF/CRLF, BOM, noncharacters)
// with the GPT-2 and Llama-3 pre-tokenizers; arbitrary bytes (invalid UTF-8 included) round-trip through the BPE's
// EncodeBytes/DecodeBytes; and the documented lossy cases: invalid UTF-8 decodes to U+FFFD, lone surrogates encode as U+FFFD.
using System.Text;
using CsCheck;
using PluginMoE.Core.Text;

namespace PluginMoE.Core.Tests.Properties;

public sealed class TokenizerPropertyTests
{
    // Pieces that stress the pre-tokenizer patterns and the UTF-8 handling; random code points are mixed in too.
    private static readonly string[] Pieces =
    [
        "a", "Z", "0", "123", "4567", " ", "  ", "\t", "\n", "\r", "\r\n", "\0", "'s", "'LL", "'", "e\u0301", "\u0308", "\u0301\u0301",
        "\U0001F642", "\U0001F469\u200D\U0001F469\u200D\U0001F467", "\U0001D538", "\U0010FFFD", "\U0001F1E9\U0001F1EA", "\uFEFF", "\uFFFD",
        "\uFFFF", "\u00A0", "\u2028", "\u3000", "世界", "Grüße", "עברית", "हिन्दी", "\u0000\u0001\u007F", ".,;!?", "<|endoftext|>", "\u00e9", "\u1E9E",
    ];

    private static readonly Gen<string> Piece = Gen.Frequency(
        (6, Gen.Int[0, Pieces.Length - 1].Select(i => Pieces[i])),
        (2, Gen.Int[0, 0x10FFFF].Where(c => c is < 0xD800 or > 0xDFFF).Select(char.ConvertFromUtf32)));

    /// <summary>Well-formed UTF-16 strings (no lone surrogates) of up to 40 pieces.</summary>
    private static readonly Gen<string> Text = Piece.Array[0, 40].Select(p => string.Concat(p));

    private static readonly string[] Corpus =
        [.. Enumerable.Range(0, 40).Select(i => $"The quick brown fox {i} jumps over the lazy dog's back. Grüße, 世界! \U0001F642 naïve café\r\n\tend\n")];

    private static readonly BpeTokenizer Gpt2 = BpeTrainer.Train(Corpus, 400);
    private static readonly BpeTokenizer Llama3 = BpeTrainer.Train(Corpus, 400, preTokenizer: new BpePreTokenizer([BpePreTokenizer.Llama3Pattern]));

    private static void RoundTrips(string name, BpeTokenizer t, string text)
    {
        string back = t.Decode(t.Encode(text));
        if (back != text)
            throw new Xunit.Sdk.XunitException($"{name}: round trip changed {Escape(text)} into {Escape(back)}");
    }

    private static string Escape(string s) => string.Concat(s.Select(c => c is >= ' ' and < '\u007f' ? c.ToString() : $"\\u{(int)c:X4}"));

    [Fact]
    public void ByteTokenizer_WellFormedText_RoundTrips_AndIdsAreTheUtf8Bytes() =>
        Text.Sample(text =>
        {
            int[] ids = ByteTokenizer.Instance.Encode(text);
            Assert.Equal(Encoding.UTF8.GetBytes(text).Select(b => (int)b), ids);
            Assert.Equal(text, ByteTokenizer.Instance.Decode(ids));
        }, iter: 2000, threads: 1);

    [Fact]
    public void Bpe_WellFormedText_RoundTrips_WithBothPreTokenizers() =>
        Text.Sample(text =>
        {
            RoundTrips("bpe (GPT-2 pre-tokenizer)", Gpt2, text);
            RoundTrips("bpe (Llama-3 pre-tokenizer)", Llama3, text);
            // The bytes path agrees with the text path on valid UTF-8.
            Assert.Equal(Gpt2.Encode(text), Gpt2.EncodeBytes(Encoding.UTF8.GetBytes(text)));
        }, iter: 1500, threads: 1);

    [Fact]
    public void Bpe_ArbitraryBytes_RoundTripExactly_ThroughEncodeBytes() =>
        Gen.Frequency((1, Gen.Byte.Array[0, 64]), (1, Text.Select(s => Encoding.UTF8.GetBytes(s)).SelectMany(b => Gen.Int[0, Math.Max(0, b.Length)].Select(cut => b[..cut]))))
            .Sample(bytes =>
            {
                Assert.Equal(bytes, Gpt2.DecodeBytes(Gpt2.EncodeBytes(bytes)));
                Assert.Equal(bytes, Llama3.DecodeBytes(Llama3.EncodeBytes(bytes)));
                // Invalid UTF-8 decodes as .NET's decoder does: each invalid sequence becomes U+FFFD.
                Assert.Equal(Encoding.UTF8.GetString(bytes), Gpt2.Decode(Gpt2.EncodeBytes(bytes)));
                Assert.Equal(Encoding.UTF8.GetString(bytes), ByteTokenizer.Instance.Decode([.. bytes.Select(b => (int)b)]));
            }, iter: 1500, threads: 1);

    [Fact]
    public void LoneSurrogates_EncodeAsReplacementCharacter() =>
        Gen.Select(Text, Gen.Int[0xD800, 0xDFFF], Gen.Int[0, 40], (text, s, at) => (text, s, at)).Sample(c =>
        {
            string withLone = c.text.Insert(Math.Min(c.at, c.text.Length), ((char)c.s).ToString());
            string expected = Encoding.UTF8.GetString(Encoding.UTF8.GetBytes(withLone)); // the lone half as U+FFFD
            Assert.Equal(expected, ByteTokenizer.Instance.Decode(ByteTokenizer.Instance.Encode(withLone)));
            Assert.Equal(expected, Gpt2.Decode(Gpt2.Encode(withLone)));
        }, iter: 500, threads: 1);
}
