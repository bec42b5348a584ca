// Pre-tokenization of byte-level BPE: a regex cuts text into pieces that merges never cross (GPT-2's pattern
// by default, Llama-3's or any other from a tokenizer.json), optionally after adding a prefix space.
using System.Text.RegularExpressions;

namespace PluginMoE.Core.Text;

/// <summary>Splits text into pre-tokens.</summary>
public sealed class BpePreTokenizer
{
    /// <summary>GPT-2's pattern: contractions, letter runs, digit runs, other symbols, each with an optional leading space, and whitespace.</summary>
    public const string Gpt2Pattern = @"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+";

    /// <summary>Llama-3's (and GPT-4's cl100k) pattern: digits in groups of at most three, newlines kept with symbols.</summary>
    public const string Llama3Pattern = @"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+";

    private readonly Regex[] _patterns;

    /// <summary>A pre-tokenizer that applies the <paramref name="patterns"/> in turn (each splits the pieces of the one before, keeping matches and gaps).</summary>
    public BpePreTokenizer(IReadOnlyList<string> patterns, bool addPrefixSpace = false)
    {
        ArgumentNullException.ThrowIfNull(patterns);
        Patterns = patterns;
        AddPrefixSpace = addPrefixSpace;
        _patterns = [.. patterns.Select(p => new Regex(p, RegexOptions.Compiled | RegexOptions.CultureInvariant))];
    }

    /// <summary>The GPT-2 pre-tokenizer (what PluginMoE's own BPE is trained with).</summary>
    public static BpePreTokenizer Gpt2 { get; } = new([Gpt2Pattern]);

    /// <summary>The regex patterns, applied in order.</summary>
    public IReadOnlyList<string> Patterns { get; }

    /// <summary>Whether a space is put before text that does not start with one (HF ByteLevel <c>add_prefix_space</c>).</summary>
    public bool AddPrefixSpace { get; }

    /// <summary>The pre-tokens of <paramref name="text"/> as (start, length) ranges; together they cover the text.</summary>
    public List<(int Start, int Length)> Split(string text)
    {
        var pieces = new List<(int, int)> { (0, text.Length) };
        foreach (var regex in _patterns)
        {
            var next = new List<(int, int)>(pieces.Count * 2);
            foreach (var (start, length) in pieces)
            {
                int at = start, end = start + length;
                // Isolated behaviour: every match is a piece, and so is every gap between matches.
                foreach (var m in regex.EnumerateMatches(text.AsSpan(start, length)))
                {
                    if (m.Length == 0) continue;
                    int s = start + m.Index;
                    if (s > at) next.Add((at, s - at));
                    next.Add((s, m.Length));
                    at = s + m.Length;
                }
                if (at < end) next.Add((at, end - at));
            }
            pieces = next;
        }
        return pieces;
    }

    /// <summary>The text as it is split (with the prefix space added when <see cref="AddPrefixSpace"/> is set).</summary>
    public string Prepare(string text) => AddPrefixSpace && text.Length > 0 && text[0] != ' ' ? " " + text : text;
}
