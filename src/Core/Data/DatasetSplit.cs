// Deterministic train/validation split by a stable hash of each document's id: the same document lands in
// the same part on every machine and run, whatever the load order or the other documents.
using System.Text;
using PluginMoE.Abstractions.Data;

namespace PluginMoE.Core.Data;

/// <summary>Train and validation documents.</summary>
/// <param name="Train">Training documents, in input order.</param>
/// <param name="Validation">Validation documents, in input order.</param>
public sealed record DatasetParts(IReadOnlyList<Document> Train, IReadOnlyList<Document> Validation);

/// <summary>Splits documents into train and validation parts by a stable hash of their ids.</summary>
public static class DatasetSplit
{
    /// <summary>
    /// A document goes to validation when the hash of its id, as a fraction in [0, 1), is below
    /// <paramref name="validationFraction"/>. So that every domain can be evaluated and trained on, a domain
    /// with at least two documents keeps at least one in each part: the lowest-hash document moves to
    /// validation, or the highest-hash one to training.
    /// </summary>
    public static DatasetParts Split(IEnumerable<Document> documents, double validationFraction)
    {
        ArgumentNullException.ThrowIfNull(documents);
        if (validationFraction is < 0 or >= 1 || double.IsNaN(validationFraction))
            throw new ArgumentOutOfRangeException(nameof(validationFraction), validationFraction, "validation fraction must be in [0, 1)");
        var docs = documents.ToList();
        var fractions = docs.Select(d => HashFraction(d.Id)).ToArray();
        var isValidation = fractions.Select(f => f < validationFraction).ToArray();
        if (validationFraction > 0)
        {
            foreach (var domain in docs.Select((d, i) => (d.Domain, i)).GroupBy(x => x.Domain, x => x.i))
            {
                var idx = domain.ToArray();
                if (idx.Length < 2) continue;
                if (!idx.Any(i => isValidation[i])) isValidation[idx.MinBy(i => fractions[i])] = true;
                if (idx.All(i => isValidation[i])) isValidation[idx.MaxBy(i => fractions[i])] = false;
            }
        }
        var train = new List<Document>();
        var validation = new List<Document>();
        for (int i = 0; i < docs.Count; i++) (isValidation[i] ? validation : train).Add(docs[i]);
        return new DatasetParts(train, validation);
    }

    /// <summary>A fraction in [0, 1) from the stable 64-bit hash of <paramref name="id"/>.</summary>
    public static double HashFraction(string id) => (StableHash(id) >> 11) / (double)(1UL << 53);

    /// <summary>FNV-1a over the UTF-8 bytes of <paramref name="id"/>, finished with the SplitMix64 mixer (stable across runs and platforms).</summary>
    public static ulong StableHash(string id)
    {
        ArgumentNullException.ThrowIfNull(id);
        ulong h = 14695981039346656037UL;
        foreach (byte b in Encoding.UTF8.GetBytes(id)) h = (h ^ b) * 1099511628211UL;
        h ^= h >> 30; h *= 0xBF58476D1CE4E5B9UL;
        h ^= h >> 27; h *= 0x94D049BB133111EBUL;
        return h ^ (h >> 31);
    }
}
