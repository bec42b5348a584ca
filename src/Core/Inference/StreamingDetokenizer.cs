// Turns tokens into text one at a time without splitting characters: a byte-level tokenizer emits a multi-byte
// UTF-8 character over several tokens, and its text is held back until the character is complete.
using System.Runtime.InteropServices;
using PluginMoE.Abstractions.Data;

namespace PluginMoE.Core.Inference;

/// <summary>
/// Incremental decoding for streamed generation. Tokens are held while their decoded text ends in U+FFFD (an
/// incomplete or invalid sequence at the end); once the text ends otherwise it is complete and is released. For
/// the byte tokenizer the released pieces concatenate to exactly <see cref="ITokenizer.Decode"/> of all tokens:
/// a release happens only after a byte that ends a valid character, and UTF-8 decoding restarts cleanly there.
/// </summary>
public sealed class StreamingDetokenizer(ITokenizer tokenizer)
{
    private readonly ITokenizer _tokenizer = tokenizer ?? throw new ArgumentNullException(nameof(tokenizer));
    private readonly List<int> _pending = [];

    /// <summary>Adds one token; returns the text that became complete (often empty while a character is incomplete).</summary>
    public string Push(int id)
    {
        _pending.Add(id);
        string text = _tokenizer.Decode(CollectionsMarshal.AsSpan(_pending));
        if (text.EndsWith('\uFFFD')) return "";
        _pending.Clear();
        return text;
    }

    /// <summary>Returns the text of the held tokens (incomplete characters as U+FFFD) and empties the buffer.</summary>
    public string Flush()
    {
        if (_pending.Count == 0) return "";
        string text = _tokenizer.Decode(CollectionsMarshal.AsSpan(_pending));
        _pending.Clear();
        return text;
    }
}
