// Streamed byte-level decoding: multi-byte UTF-8 characters come out whole, and the pieces add up to the text.
using System.Text;
using PluginMoE.Core.Inference;
using PluginMoE.Core.Text;

namespace PluginMoE.Core.Tests.Inference;

public class StreamingDetokenizerTests
{
    private static List<string> Pieces(byte[] bytes, out string flushed)
    {
        var d = new StreamingDetokenizer(ByteTokenizer.Instance);
        var pieces = bytes.Select(b => d.Push(b)).ToList();
        flushed = d.Flush();
        return pieces;
    }

    [Fact]
    public void Push_MultiByteCharacters_EmitsEachWhenItsLastByteArrives()
    {
        var pieces = Pieces(Encoding.UTF8.GetBytes("aé€😀"), out var rest);
        Assert.Equal(["a", "", "é", "", "", "€", "", "", "", "😀"], pieces);
        Assert.Equal("", rest);
    }

    [Fact]
    public void Push_InvalidAndTruncatedBytes_ConcatenateToTheDecodedText()
    {
        byte[] bytes = [0x41, 0xE2, 0x82, 0x42, 0x80, 0xEF, 0xBF, 0xBD, 0x43, 0xF0, 0x9F];
        var pieces = Pieces(bytes, out var rest);
        Assert.Equal(ByteTokenizer.Instance.Decode([.. bytes.Select(b => (int)b)]), string.Concat(pieces) + rest);
        Assert.Equal("\uFFFD", rest); // the unfinished 4-byte character at the end
    }
}
