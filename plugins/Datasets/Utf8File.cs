// Strict UTF-8 reading of text files: invalid byte sequences and NUL bytes (binary files) are reported,
// not silently replaced, so that a corpus never trains on mojibake.
using System.Text;

namespace PluginMoE.Plugins.Datasets;

/// <summary>Reads a file as strict UTF-8.</summary>
internal static class Utf8File
{
    private static readonly UTF8Encoding Strict = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>
    /// The text of <paramref name="path"/> (without a BOM), or null with <paramref name="problem"/> set when the
    /// file is binary, not valid UTF-8, or empty. Reads at most <paramref name="maxBytes"/> bytes, cut back to a
    /// whole character.
    /// </summary>
    public static string? TryRead(string path, long? maxBytes, out string problem)
    {
        byte[] bytes;
        using (var stream = File.OpenRead(path))
        {
            long length = Math.Min(stream.Length, maxBytes ?? long.MaxValue);
            bytes = new byte[length];
            stream.ReadExactly(bytes);
            if (length < stream.Length) bytes = bytes[..WholeCharacterPrefix(bytes)];
        }
        ReadOnlySpan<byte> span = bytes;
        if (span.StartsWith((ReadOnlySpan<byte>)[0xEF, 0xBB, 0xBF])) span = span[3..];
        if (span.IsEmpty) { problem = "empty file"; return null; }
        int nul = span.IndexOf((byte)0);
        if (nul >= 0) { problem = $"binary file (NUL byte at offset {nul})"; return null; }
        try
        {
            problem = "";
            return Strict.GetString(span);
        }
        catch (DecoderFallbackException e)
        {
            problem = $"not valid UTF-8 (invalid byte sequence at offset {e.Index})";
            return null;
        }
    }

    /// <summary>Length of the longest prefix that does not end inside a multi-byte character.</summary>
    internal static int WholeCharacterPrefix(ReadOnlySpan<byte> bytes)
    {
        int end = bytes.Length;
        // Step back over continuation bytes (10xxxxxx) to the lead byte of the last character.
        int i = end - 1;
        while (i >= 0 && end - i <= 4 && (bytes[i] & 0xC0) == 0x80) i--;
        if (i < 0) return end;
        byte lead = bytes[i];
        int need = lead < 0x80 ? 1 : (lead & 0xE0) == 0xC0 ? 2 : (lead & 0xF0) == 0xE0 ? 3 : (lead & 0xF8) == 0xF0 ? 4 : 1;
        return end - i >= need ? end : i;
    }
}
