// Pre-tokenization of byte-level BPE: regex splits cut text into pieces that merges never cross (GPT-2's pattern
// by default, Llama-3's or any other from a tokenizer.json, with the Hugging Face Split behaviours), optionally
// after adding a prefix space. Patterns see one character per Unicode code point, as the Hugging Face library's
// regex engine does: .NET's regex works on UTF-16 units, so each astral code point (emoji, 𝒜, 𠀋) is shown to it
// as one BMP stand-in character of the same Unicode category, and the pieces are mapped back to the text.
using System.Globalization;
using System.Text.RegularExpressions;

namespace PluginMoE.Core.Text;

/// <summary>Splits text into pre-tokens.</summary>
public sealed class BpePreTokenizer
{
    /// <summary>GPT-2's pattern: contractions, letter runs, digit runs, other symbols, each with an optional leading space, and whitespace.</summary>
    public const string Gpt2Pattern = @"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+";

    /// <summary>Llama-3's (and GPT-4's cl100k) pattern: digits in groups of at most three, newlines kept with symbols.</summary>
    public const string Llama3Pattern = @"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+";

    private readonly Regex[] _regexes;

    /// <summary>A pre-tokenizer that applies the Isolated <paramref name="patterns"/> in turn (each splits the pieces of the one before, keeping matches and gaps).</summary>
    public BpePreTokenizer(IReadOnlyList<string> patterns, bool addPrefixSpace = false)
        : this([.. (patterns ?? throw new ArgumentNullException(nameof(patterns))).Select(p => new BpeSplitRule(p))], addPrefixSpace)
    {
    }

    /// <summary>A pre-tokenizer that applies the <paramref name="rules"/> in turn, each to the pieces of the one before.</summary>
    public BpePreTokenizer(IReadOnlyList<BpeSplitRule> rules, bool addPrefixSpace = false)
    {
        ArgumentNullException.ThrowIfNull(rules);
        Rules = rules;
        Patterns = [.. rules.Select(r => r.Pattern)];
        AddPrefixSpace = addPrefixSpace;
        _regexes = [.. rules.Select(r => new Regex(r.Pattern, RegexOptions.Compiled | RegexOptions.CultureInvariant))];
    }

    /// <summary>The GPT-2 pre-tokenizer (what PluginMoE's own BPE is trained with).</summary>
    public static BpePreTokenizer Gpt2 { get; } = new([Gpt2Pattern]);

    /// <summary>The split rules, applied in order.</summary>
    public IReadOnlyList<BpeSplitRule> Rules { get; }

    /// <summary>The rules' regex patterns, in order.</summary>
    public IReadOnlyList<string> Patterns { get; }

    /// <summary>Whether a space is put before text that does not start with one (HF ByteLevel <c>add_prefix_space</c>).</summary>
    public bool AddPrefixSpace { get; }

    /// <summary>
    /// The pre-tokens of <paramref name="text"/> as (start, length) ranges in order; with Isolated rules only they cover
    /// the text (Removed rules drop what they remove).
    /// </summary>
    public List<(int Start, int Length)> Split(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var (view, starts) = CodePointView(text);
        var pieces = new List<(int Start, int Length)> { (0, view.Length) };
        for (int r = 0; r < _regexes.Length; r++)
        {
            var next = new List<(int, int)>(pieces.Count * 2);
            foreach (var (start, length) in pieces) Apply(_regexes[r], Rules[r], view, start, length, next);
            pieces = next;
        }
        if (starts is null) return pieces;
        for (int i = 0; i < pieces.Count; i++)
        {
            var (s, l) = pieces[i];
            pieces[i] = (starts[s], starts[s + l] - starts[s]);
        }
        return pieces;
    }

    // One rule on one piece: the matches and gaps, then the rule's behaviour (the Hugging Face Split semantics).
    private static void Apply(Regex regex, BpeSplitRule rule, string text, int start, int length, List<(int, int)> output)
    {
        var parts = new List<(int Start, int End, bool Match)>();
        int at = start, end = start + length;
        foreach (var m in regex.EnumerateMatches(text.AsSpan(start, length)))
        {
            if (m.Length == 0) continue;
            int s = start + m.Index;
            if (s > at) parts.Add((at, s, rule.Invert));
            parts.Add((s, s + m.Length, !rule.Invert));
            at = s + m.Length;
        }
        if (at < end) parts.Add((at, end, rule.Invert));

        var merged = new List<(int Start, int End)>(parts.Count);
        switch (rule.Behavior)
        {
            case SplitBehavior.Isolated:
                merged.AddRange(parts.Select(p => (p.Start, p.End)));
                break;
            case SplitBehavior.Removed:
                merged.AddRange(parts.Where(p => !p.Match).Select(p => (p.Start, p.End)));
                break;
            case SplitBehavior.MergedWithPrevious:
            {
                bool previousMatch = false;
                foreach (var p in parts)
                {
                    if (p.Match && !previousMatch && merged.Count > 0) merged[^1] = (merged[^1].Start, p.End);
                    else merged.Add((p.Start, p.End));
                    previousMatch = p.Match;
                }
                break;
            }
            case SplitBehavior.MergedWithNext:
            {
                bool previousMatch = false;
                for (int i = parts.Count - 1; i >= 0; i--)
                {
                    var p = parts[i];
                    if (p.Match && !previousMatch && merged.Count > 0) merged[^1] = (p.Start, merged[^1].End);
                    else merged.Add((p.Start, p.End));
                    previousMatch = p.Match;
                }
                merged.Reverse();
                break;
            }
            case SplitBehavior.Contiguous:
            {
                bool? previousMatch = null;
                foreach (var p in parts)
                {
                    if (p.Match == previousMatch) merged[^1] = (merged[^1].Start, p.End);
                    else merged.Add((p.Start, p.End));
                    previousMatch = p.Match;
                }
                break;
            }
            default:
                throw new ArgumentOutOfRangeException(nameof(rule), rule.Behavior, "unknown split behavior");
        }
        foreach (var (s, e) in merged)
            if (e > s) output.Add((s, e - s));
    }

    // The text with each astral code point replaced by one stand-in character of its Unicode category, and the text
    // index of every view index (plus the end); (text, null) when the text has no surrogates.
    private static (string View, int[]? Starts) CodePointView(string text)
    {
        int first = text.AsSpan().IndexOfAnyInRange('\uD800', '\uDFFF');
        if (first < 0) return (text, null);
        var chars = new char[text.Length];
        var starts = new int[text.Length + 1];
        int n = 0;
        for (int i = 0; i < text.Length; n++)
        {
            starts[n] = i;
            if (char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                chars[n] = StandIn[(int)CharUnicodeInfo.GetUnicodeCategory(text, i)];
                i += 2;
            }
            else chars[n] = text[i++];                                    // a lone surrogate stays itself (category Cs)
        }
        starts[n] = text.Length;
        return (new string(chars, 0, n), starts[..(n + 1)]);
    }

    // A BMP character of each Unicode category, searched from U+FFFD down (halfwidth/fullwidth forms and the like,
    // outside the ASCII, CJK and kana ranges that tokenizer.json patterns name explicitly), never whitespace.
    private static readonly char[] StandIn = BuildStandIns();

    private static char[] BuildStandIns()
    {
        int count = Enum.GetValues<UnicodeCategory>().Length;
        var map = new char[count];
        var found = new bool[count];
        for (int c = 0xFFFD; c >= 0x00A0; c--)
        {
            if (c is >= 0xD800 and <= 0xDFFF or >= 0x3040 and <= 0x30FF or >= 0x4E00 and <= 0x9FFF) continue;
            int k = (int)CharUnicodeInfo.GetUnicodeCategory((char)c);
            if (found[k] || char.IsWhiteSpace((char)c)) continue;
            map[k] = (char)c;
            found[k] = true;
        }
        return map;
    }

    /// <summary>The text as it is split (with the prefix space added when <see cref="AddPrefixSpace"/> is set).</summary>
    public string Prepare(string text) => AddPrefixSpace && text.Length > 0 && text[0] != ' ' ? " " + text : text;
}
