// "Did you mean ...?": the closest name by edit distance, suggested only when it is reasonably close.
namespace PluginMoE.Host.Plugins;

/// <summary>Finds the closest candidate to a mistyped name.</summary>
internal static class NameMatcher
{
    /// <summary>The candidate nearest to <paramref name="name"/> (case-insensitive), or null when none is close.</summary>
    public static string? Closest(string name, IEnumerable<string> candidates)
    {
        string? best = null;
        int bestDistance = int.MaxValue;
        foreach (var c in candidates)
        {
            int d = Distance(name.ToLowerInvariant(), c.ToLowerInvariant());
            if (d < bestDistance) (best, bestDistance) = (c, d);
        }
        // Suggest only when at most about half the letters differ; a far-off hint misleads.
        return best is not null && bestDistance <= Math.Max(2, Math.Max(name.Length, best.Length) / 2) ? best : null;
    }

    private static int Distance(string a, string b)
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
