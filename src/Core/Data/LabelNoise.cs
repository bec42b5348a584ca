// Label noise for the noisy-domains ablation (the Nexus/BTX reviewers' question: how much does the method
// depend on clean domain labels?): exactly round(share x N) documents get another domain's label. Which
// documents, and which wrong label each gets, depend only on the seed and the document's id, so the same
// seed gives the same noise whatever the load order.
using System.Globalization;
using PluginMoE.Abstractions.Data;

namespace PluginMoE.Core.Data;

/// <summary>Relabels a seeded share of documents with a wrong domain.</summary>
public static class LabelNoise
{
    /// <summary>
    /// Returns the documents (in input order) with exactly round(<paramref name="share"/> x N) of them (midpoint away
    /// from zero) relabelled: the documents with the smallest hash of (seed, id) are chosen, and each gets one of the
    /// other domains (ordinal order) picked by a second hash of (seed, id). <paramref name="changed"/> is that count.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="share"/> is outside [0, 1].</exception>
    /// <exception cref="ArgumentException">A positive share with fewer than two domains (there is no wrong label to give).</exception>
    public static IReadOnlyList<Document> Apply(IReadOnlyList<Document> documents, double share, long seed, out int changed)
    {
        ArgumentNullException.ThrowIfNull(documents);
        if (!(share is >= 0 and <= 1))
            throw new ArgumentOutOfRangeException(nameof(share), share, "label noise must be a share between 0 and 1");
        changed = (int)Math.Round(share * documents.Count, MidpointRounding.AwayFromZero);
        if (changed == 0) return documents;
        var domains = documents.Select(d => d.Domain).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToArray();
        if (domains.Length < 2)
            throw new ArgumentException($"label noise {share.ToString(CultureInfo.InvariantCulture)} needs at least two domains to swap labels between; the documents have only '{string.Join("', '", domains)}'");
        string s = seed.ToString(CultureInfo.InvariantCulture);
        var chosen = Enumerable.Range(0, documents.Count)
            .OrderBy(i => DatasetSplit.StableHash($"noise:{s}:{documents[i].Id}"))
            .ThenBy(i => documents[i].Id, StringComparer.Ordinal).ThenBy(i => i)
            .Take(changed).ToHashSet();
        var result = new Document[documents.Count];
        for (int i = 0; i < documents.Count; i++)
        {
            var d = documents[i];
            if (!chosen.Contains(i)) { result[i] = d; continue; }
            var others = domains.Where(x => !string.Equals(x, d.Domain, StringComparison.Ordinal)).ToArray();
            int pick = (int)(DatasetSplit.StableHash($"label:{s}:{d.Id}") % (ulong)others.Length);
            result[i] = d with { Domain = others[pick] };
        }
        return result;
    }
}
