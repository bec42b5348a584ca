// One regex split of a tokenizer.json pre-tokenizer (the Hugging Face `Split` pre-tokenizer): what the pattern's
// matches become (isolated pieces, removed, merged into the piece before or after, or runs merged), optionally
// with matches and gaps swapped (`invert`). GPT-2's ByteLevel regex is an Isolated rule.
namespace PluginMoE.Core.Text;

/// <summary>What a <see cref="BpeSplitRule"/> does with the pieces its pattern matches (the tokenizer.json <c>behavior</c>).</summary>
public enum SplitBehavior
{
    /// <summary>Every match and every gap between matches is a piece.</summary>
    Isolated,

    /// <summary>Matches are dropped; the gaps are the pieces.</summary>
    Removed,

    /// <summary>A match is appended to the piece before it.</summary>
    MergedWithPrevious,

    /// <summary>A match is prepended to the piece after it.</summary>
    MergedWithNext,

    /// <summary>Adjacent matches form one piece, as do adjacent gaps.</summary>
    Contiguous,
}

/// <summary>A regex <paramref name="Pattern"/> with its <paramref name="Behavior"/>; <paramref name="Invert"/> swaps matches and gaps.</summary>
public sealed record BpeSplitRule(string Pattern, SplitBehavior Behavior = SplitBehavior.Isolated, bool Invert = false);
