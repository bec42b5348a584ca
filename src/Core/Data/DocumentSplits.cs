// Train/validation/test split by a stable hash of each document's id, after exact de-duplication of texts,
// so that no text is trained on and also evaluated. A document's part depends only on its id, so adding
// documents never moves the others.
using System.Security.Cryptography;
using System.Text;
using PluginMoE.Abstractions.Data;

namespace PluginMoE.Core.Data;

/// <summary>The three parts of a corpus and what de-duplication removed.</summary>
/// <param name="Train">Training documents, in input order.</param>
/// <param name="Validation">Validation documents, in input order.</param>
/// <param name="Test">Test documents, in input order.</param>
/// <param name="DuplicatesRemoved">Documents dropped because an identical text was kept under another id.</param>
public sealed record DocumentSplits(IReadOnlyList<Document> Train, IReadOnlyList<Document> Validation, IReadOnlyList<Document> Test, int DuplicatesRemoved);

/// <summary>Deterministic three-way split with exact de-duplication.</summary>
public static class DocumentSplitter
{
    /// <summary>
    /// Drops exact duplicate texts (of each group of identical texts the copy whose id has the lowest hash stays,
    /// whatever the input order), then puts a document in validation when the hash fraction of its id
    /// (<see cref="DatasetSplit.HashFraction"/>) is below <paramref name="validationFraction"/>, in test when it is
    /// below <paramref name="validationFraction"/> + <paramref name="testFraction"/>, and in training otherwise.
    /// With <paramref name="everyDomainInEachPart"/>, a domain that the hashes leave without a part gets one
    /// document moved there, so every domain can be trained on and evaluated: a domain of at least two documents gets
    /// a training and (when its fraction is above 0) a validation document, one of at least three also a test
    /// document; each is the lowest-hash document of the fullest other part that has more than one.
    /// </summary>
    public static DocumentSplits Split(IEnumerable<Document> documents, double validationFraction, double testFraction = 0, bool deduplicate = true,
        bool everyDomainInEachPart = false)
    {
        ArgumentNullException.ThrowIfNull(documents);
        if (validationFraction < 0 || testFraction < 0 || !(validationFraction + testFraction < 1))
            throw new ArgumentOutOfRangeException(nameof(validationFraction), validationFraction + testFraction,
                $"validation ({validationFraction}) and test ({testFraction}) fractions must be non-negative and sum to less than 1");
        var docs = documents.ToList();
        var keep = new bool[docs.Count];
        Array.Fill(keep, true);
        int removed = 0;
        if (deduplicate)
        {
            var best = new Dictionary<string, int>(StringComparer.Ordinal);     // text hash -> index of the copy kept
            for (int i = 0; i < docs.Count; i++)
            {
                string key = TextHash(docs[i].Text);
                if (!best.TryGetValue(key, out int j)) { best[key] = i; continue; }
                removed++;
                if (Before(docs[i].Id, docs[j].Id)) { keep[j] = false; best[key] = i; }
                else keep[i] = false;
            }
        }
        var fraction = new double[docs.Count];
        var part = new int[docs.Count];                                        // 0 train, 1 validation, 2 test
        for (int i = 0; i < docs.Count; i++)
        {
            fraction[i] = DatasetSplit.HashFraction(docs[i].Id);
            part[i] = fraction[i] < validationFraction ? 1 : fraction[i] < validationFraction + testFraction ? 2 : 0;
        }
        if (everyDomainInEachPart)
        {
            foreach (var group in Enumerable.Range(0, docs.Count).Where(i => keep[i]).GroupBy(i => docs[i].Domain, StringComparer.Ordinal))
            {
                var idx = group.ToArray();
                int Count(int p) => idx.Count(i => part[i] == p);
                // A part the domain lacks takes the lowest-hash document of the fullest other part that can spare one.
                void Ensure(int p)
                {
                    if (Count(p) > 0) return;
                    var donors = new[] { 0, 1, 2 }.Where(q => q != p && Count(q) > 1).OrderByDescending(Count).ThenBy(q => q).ToList();
                    if (donors.Count > 0) part[idx.Where(i => part[i] == donors[0]).MinBy(i => fraction[i])] = p;
                }
                if (idx.Length < 2) continue;
                Ensure(0);
                if (validationFraction > 0) Ensure(1);
                if (testFraction > 0 && idx.Length >= 3) Ensure(2);
            }
        }
        var train = new List<Document>();
        var validation = new List<Document>();
        var test = new List<Document>();
        for (int i = 0; i < docs.Count; i++)
            if (keep[i]) (part[i] == 1 ? validation : part[i] == 2 ? test : train).Add(docs[i]);
        return new DocumentSplits(train, validation, test, removed);
    }

    /// <summary>Hex SHA-256 of the UTF-8 text (exact duplicates only).</summary>
    public static string TextHash(string text) => Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(text)));

    private static bool Before(string a, string b)
    {
        ulong ha = DatasetSplit.StableHash(a), hb = DatasetSplit.StableHash(b);
        return ha != hb ? ha < hb : string.CompareOrdinal(a, b) < 0;
    }
}
