// "Did you mean ...?": the closest known name by edit distance, offered only when it is plausibly a typo.
// One implementation for every error message that names alternatives (plugins, options, settings, profiles).
namespace PluginMoE.Core.Composition;

/// <summary>Finds the known name closest to a misspelt one.</summary>
public static class NameSuggestions
{
    /// <summary>The candidate nearest to <paramref name="name"/> (case-insensitive), or null when none is close.</summary>
    public static string? Closest(string name, IEnumerable<string> candidates)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(candidates);
        string? best = null;
        int bestDistance = int.MaxValue;
        foreach (var c in candidates)
        {
            int d = EditDistance(name.ToLowerInvariant(), c.ToLowerInvariant());
            if (d < bestDistance) (best, bestDistance) = (c, d);
        }
        // More than about half the letters changed is a different word, not a typo: the hint would mislead.
        return best is not null && bestDistance <= Math.Max(2, Math.Max(name.Length, best.Length) / 2) ? best : null;
    }

    /// <summary><c>"; did you mean 'x'?"</c>, or the empty string when no candidate is close.</summary>
    public static string Hint(string name, IEnumerable<string> candidates) =>
        Closest(name, candidates) is { } c ? $"; did you mean '{c}'?" : "";

    private static int EditDistance(string a, string b)
    {
        var prev = new int[b.Length + 1];
        var cur = new int[b.Length + 1];
        for (int j = 0; j <= b.Length; j++) prev[j] = j;
        for (int i = 1; i <= a.Length; i++)
        {
            cur[0] = i;
            for (int j = 1; j <= b.Length; j++)
                cur[j] = Math.Min(Math.Min(prev[j] + 1, cur[j - 1] + 1), prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1));
            (prev, cur) = (cur, prev);
        }
        return prev[b.Length];
    }
}
