// Hashed TF-IDF features of documents (Salton & Buckley 1988 weighting; the hashing trick of Weinberger et
// al. 2009): lower-cased word unigrams and character n-grams hashed into 2^b buckets, sublinear term
// frequency 1 + ln(tf), smoothed idf ln((1 + N) / (1 + df)) + 1 over the documents given, L2-normalised.
using System.Text;

namespace PluginMoE.Plugins.Embedders;

/// <summary>Sparse TF-IDF vectors of a set of documents.</summary>
internal sealed class HashedTfidf
{
    private readonly int _bits;
    private readonly int _minN, _maxN;

    public HashedTfidf(int bits, int minCharN, int maxCharN)
    {
        _bits = bits;
        _minN = minCharN;
        _maxN = maxCharN;
    }

    /// <summary>L2-normalised sparse vectors (bucket -> weight), one per text, in order.</summary>
    public List<Dictionary<int, float>> Vectors(IReadOnlyList<string> texts)
    {
        var tfs = texts.Select(TermCounts).ToList();
        var df = new Dictionary<int, int>();
        foreach (var tf in tfs)
            foreach (var k in tf.Keys) df[k] = df.GetValueOrDefault(k) + 1;
        int n = texts.Count;
        var result = new List<Dictionary<int, float>>(n);
        foreach (var tf in tfs)
        {
            var v = new Dictionary<int, float>(tf.Count);
            double norm = 0;
            foreach (var (k, c) in tf)
            {
                double w = (1 + Math.Log(c)) * (Math.Log((1.0 + n) / (1.0 + df[k])) + 1);
                v[k] = (float)w;
                norm += w * w;
            }
            float inv = norm > 0 ? (float)(1 / Math.Sqrt(norm)) : 0;
            foreach (var k in v.Keys.ToArray()) v[k] *= inv;
            result.Add(v);
        }
        return result;
    }

    /// <summary>Bucket counts of one text: its words (letters/digits/underscore runs, lower-cased) and character n-grams.</summary>
    internal Dictionary<int, int> TermCounts(string text)
    {
        var counts = new Dictionary<int, int>();
        int mask = (1 << _bits) - 1;
        var lower = text.ToLowerInvariant();
        int i = 0;
        while (i < lower.Length)
        {
            if (!IsWord(lower[i])) { i++; continue; }
            int start = i;
            while (i < lower.Length && IsWord(lower[i])) i++;
            Add(counts, (int)(Hash(lower.AsSpan(start, i - start), 0x5157) & (uint)mask));
        }
        // Character n-grams over the text with whitespace runs collapsed to one space.
        var squeezed = new StringBuilder(lower.Length);
        foreach (char c in lower)
            if (!char.IsWhiteSpace(c)) squeezed.Append(c);
            else if (squeezed.Length == 0 || squeezed[^1] != ' ') squeezed.Append(' ');
        var s = squeezed.ToString();
        for (int n = _minN; n <= _maxN; n++)
            for (int j = 0; j + n <= s.Length; j++)
                Add(counts, (int)(Hash(s.AsSpan(j, n), (uint)n) & (uint)mask));
        return counts;
    }

    private static bool IsWord(char c) => char.IsLetterOrDigit(c) || c == '_';

    private static void Add(Dictionary<int, int> d, int k) => d[k] = d.GetValueOrDefault(k) + 1;

    /// <summary>FNV-1a over UTF-16 code units with a salt (words and each n-gram length hash apart).</summary>
    internal static uint Hash(ReadOnlySpan<char> s, uint salt)
    {
        uint h = 2166136261u ^ (salt * 16777619u);
        foreach (char c in s) { h = (h ^ (uint)(c & 0xFF)) * 16777619u; h = (h ^ (uint)(c >> 8)) * 16777619u; }
        return h;
    }
}
