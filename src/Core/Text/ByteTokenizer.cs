// The default tokenizer: byte level, ids 0-255 are the UTF-8 bytes of the text; no special tokens.
using System.Text;
using PluginMoE.Abstractions.Composition;
using PluginMoE.Abstractions.Data;

namespace PluginMoE.Core.Text;

/// <summary>
/// Byte-level tokenizer: <see cref="Encode"/> returns the UTF-8 bytes of the text and nothing else (no BOS/EOS),
/// <see cref="Decode"/> turns bytes back into text, decoding invalid sequences to U+FFFD.
/// </summary>
public sealed class ByteTokenizer : ITokenizer
{
    /// <summary>The shared instance (the tokenizer is stateless).</summary>
    public static readonly ByteTokenizer Instance = new();

    /// <inheritdoc/>
    public int VocabSize => 256;

    /// <inheritdoc/>
    public int[] Encode(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var bytes = Encoding.UTF8.GetBytes(text);
        var ids = new int[bytes.Length];
        for (int i = 0; i < bytes.Length; i++) ids[i] = bytes[i];
        return ids;
    }

    /// <inheritdoc/>
    public string Decode(ReadOnlySpan<int> ids)
    {
        var bytes = new byte[ids.Length];
        for (int i = 0; i < ids.Length; i++)
        {
            if ((uint)ids[i] > 255)
                throw new ArgumentOutOfRangeException(nameof(ids), ids[i], $"byte tokenizer: id {ids[i]} at position {i} is outside 0-255");
            bytes[i] = (byte)ids[i];
        }
        // Encoding.UTF8 replaces each invalid sequence with U+FFFD rather than throwing.
        return Encoding.UTF8.GetString(bytes);
    }
}

/// <summary>Exports the byte tokenizer under the name <c>byte</c>.</summary>
[ExportTokenizer("byte", Description = "Byte-level tokenizer: ids 0-255 are UTF-8 bytes, no special tokens")]
public sealed class ByteTokenizerFactory : ITokenizerFactory
{
    /// <inheritdoc/>
    public Type? OptionsType => null;

    /// <inheritdoc/>
    public ITokenizer Create(object? options) => ByteTokenizer.Instance;
}
