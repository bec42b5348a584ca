// The byte-level alphabet of GPT-2 style BPE (Radford et al. 2019, the released encoder's bytes_to_unicode):
// every byte maps to one printable Unicode character, so token strings in vocabularies and merges are text.
namespace PluginMoE.Core.Text;

/// <summary>Byte &lt;-&gt; character map of byte-level BPE.</summary>
public static class ByteLevelAlphabet
{
    private static readonly char[] ByteToChar = Build();
    private static readonly Dictionary<char, byte> CharToByte = ByteToChar.Select((c, b) => (c, b)).ToDictionary(x => x.c, x => (byte)x.b);

    // Printable Latin-1 bytes ('!'..'~', '¡'..'¬', '®'..'ÿ') map to themselves; the other 68 bytes, in order,
    // to U+0100, U+0101, ... (so the space 0x20 becomes 'Ġ' U+0120 and the newline 0x0A becomes 'Ċ' U+010A).
    private static char[] Build()
    {
        var map = new char[256];
        int next = 0;
        for (int b = 0; b < 256; b++)
        {
            bool printable = b is >= '!' and <= '~' or >= 0xA1 and <= 0xAC or >= 0xAE and <= 0xFF;
            map[b] = printable ? (char)b : (char)(256 + next++);
        }
        return map;
    }

    /// <summary>The character of byte <paramref name="b"/>.</summary>
    public static char Char(byte b) => ByteToChar[b];

    /// <summary>The byte of <paramref name="c"/>, or false when <paramref name="c"/> is not in the alphabet.</summary>
    public static bool TryByte(char c, out byte b) => CharToByte.TryGetValue(c, out b);

    /// <summary>The byte-level string of <paramref name="bytes"/> (one character per byte).</summary>
    public static string ToText(ReadOnlySpan<byte> bytes)
    {
        var chars = new char[bytes.Length];
        for (int i = 0; i < bytes.Length; i++) chars[i] = ByteToChar[bytes[i]];
        return new string(chars);
    }
}
