// Tests of the byte-level tokenizer.
using PluginMoE.Core.Text;

namespace PluginMoE.Core.Tests.Text;

public sealed class ByteTokenizerTests
{
    [Fact]
    public void Encode_GivesTheUtf8BytesAndNothingElse()
    {
        Assert.Equal([0x68, 0xC3, 0xA9, 0xE2, 0x9C, 0x93], ByteTokenizer.Instance.Encode("hé✓"));
        Assert.Empty(ByteTokenizer.Instance.Encode(""));
    }

    [Fact]
    public void Decode_RoundTripsValidText_AndTurnsInvalidSequencesIntoReplacementCharacters()
    {
        var tok = ByteTokenizer.Instance;
        Assert.Equal("Ünïcödé ✓ 🚀", tok.Decode(tok.Encode("Ünïcödé ✓ 🚀")));
        Assert.Equal("a\uFFFD(b", tok.Decode([0x61, 0xC3, 0x28, 0x62]));
    }

    [Fact]
    public void Decode_IdOutsideByteRange_FailsNamingTheIdAndPosition()
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => ByteTokenizer.Instance.Decode([65, 300]));
        Assert.Contains("id 300 at position 1 is outside 0-255", e.Message);
    }
}
