// Trains a byte-level BPE vocabulary (Sennrich et al. 2016, §3.2; GPT-2's byte-level alphabet): pre-tokens
// are counted once, then the most frequent adjacent pair is merged repeatedly. Pair counts are updated
// incrementally from an index of the words each pair occurs in, and a max-heap with lazy deletion picks the
// next pair, so each merge costs time proportional to the words it touches, not to the corpus.
using System.Text;

namespace PluginMoE.Core.Text;

/// <summary>Learns merges from text; ids 0-255 are the single bytes, merge k gets id 256 + k.</summary>
public static class BpeTrainer
{
    /// <summary>
    /// Trains a vocabulary of at most <paramref name="vocabSize"/> ids on <paramref name="texts"/> (read until
    /// <paramref name="maxBytes"/> UTF-8 bytes). Ties between equally frequent pairs go to the pair with the
    /// smaller (left id, right id), so the result depends only on the sample. Training stops early when no pair
    /// occurs at least <paramref name="minFrequency"/> times.
    /// </summary>
    public static BpeTokenizer Train(IEnumerable<string> texts, int vocabSize, long maxBytes = long.MaxValue, int minFrequency = 2, BpePreTokenizer? preTokenizer = null)
    {
        ArgumentNullException.ThrowIfNull(texts);
        if (vocabSize < 256) throw new ArgumentOutOfRangeException(nameof(vocabSize), vocabSize, "bpe: the vocabulary needs at least the 256 single bytes");
        ArgumentOutOfRangeException.ThrowIfLessThan(minFrequency, 1);
        preTokenizer ??= BpePreTokenizer.Gpt2;

        // 1. Count pre-tokens (as byte-level strings of their UTF-8 bytes).
        var counts = new Dictionary<string, long>(StringComparer.Ordinal);
        long bytes = 0;
        foreach (var raw in texts)
        {
            string text = preTokenizer.Prepare(raw);
            foreach (var (start, length) in preTokenizer.Split(text))
            {
                string piece = ByteLevelAlphabet.ToText(Encoding.UTF8.GetBytes(text, start, length));
                counts[piece] = counts.GetValueOrDefault(piece) + 1;
            }
            bytes += Encoding.UTF8.GetByteCount(raw);
            if (bytes >= maxBytes) break;
        }

        // 2. Words as symbol arrays, pair counts and the pair -> words index.
        var words = new int[counts.Count][];
        var lengths = new int[counts.Count];
        var freq = new long[counts.Count];
        var pairCounts = new Dictionary<long, long>();
        var where = new Dictionary<long, List<int>>();
        int w = 0;
        foreach (var (piece, count) in counts.OrderBy(kv => kv.Key, StringComparer.Ordinal))
        {
            var symbols = new int[piece.Length];
            for (int i = 0; i < piece.Length; i++) { ByteLevelAlphabet.TryByte(piece[i], out byte b); symbols[i] = b; }
            words[w] = symbols;
            lengths[w] = symbols.Length;
            freq[w] = count;
            for (int i = 0; i + 1 < symbols.Length; i++)
            {
                long key = Key(symbols[i], symbols[i + 1]);
                pairCounts[key] = pairCounts.GetValueOrDefault(key) + count;
                if (!where.TryGetValue(key, out var list)) where[key] = list = [];
                if (list.Count == 0 || list[^1] != w) list.Add(w);
            }
            w++;
        }
        var heap = new PriorityQueue<long, (long NegCount, long Key)>();
        foreach (var (key, c) in pairCounts) heap.Enqueue(key, (-c, key));

        // 3. Merge.
        var tokens = new List<string>(vocabSize);
        for (int b = 0; b < 256; b++) tokens.Add(ByteLevelAlphabet.Char((byte)b).ToString());
        var merges = new List<(string, string)>();
        var stamp = new int[words.Length];
        var changed = new Dictionary<long, long>();
        while (tokens.Count < vocabSize && heap.TryDequeue(out long best, out var priority))
        {
            long current = pairCounts.GetValueOrDefault(best);
            if (current != -priority.NegCount)
            {
                if (current > 0 && current < -priority.NegCount) heap.Enqueue(best, (-current, best));   // went down: re-queue at its count
                continue;                                                                                  // went up: a newer entry exists
            }
            if (current < minFrequency) break;
            int left = (int)(best >> 32), right = (int)(uint)best, merged = tokens.Count;
            merges.Add((tokens[left], tokens[right]));
            tokens.Add(tokens[left] + tokens[right]);
            changed.Clear();
            foreach (int wi in where[best])
            {
                if (stamp[wi] == merged) continue;                       // listed twice
                stamp[wi] = merged;
                var s = words[wi];
                int n = lengths[wi], o = 0;
                long f = freq[wi];
                bool any = false;
                for (int i = 0; i < n; i++)
                {
                    if (i + 1 < n && s[i] == left && s[i + 1] == right)
                    {
                        // Pairs around the merged occurrence lose f; the new pairs with the merged symbol gain it.
                        if (o > 0) { Add(changed, Key(s[o - 1], left), -f); Add(changed, Key(s[o - 1], merged), f); }
                        if (i + 2 < n) { Add(changed, Key(right, s[i + 2]), -f); Add(changed, Key(merged, s[i + 2]), f); }
                        Add(changed, best, -f);
                        s[o++] = merged;
                        i++;
                        any = true;
                    }
                    else s[o++] = s[i];
                }
                lengths[wi] = o;
                if (!any) continue;
                for (int i = 0; i + 1 < o; i++)
                    if (s[i] == merged || s[i + 1] == merged)
                    {
                        long key = Key(s[i], s[i + 1]);
                        if (!where.TryGetValue(key, out var list)) where[key] = list = [];
                        if (list.Count == 0 || list[^1] != wi) list.Add(wi);
                    }
            }
            // Consecutive merges in one word ("a b a b" -> "ab ab") adjust the (merged, left) pair twice; the sums stay exact.
            foreach (var (key, delta) in changed)
            {
                if (delta == 0) continue;
                long c = pairCounts.GetValueOrDefault(key) + delta;
                if (c <= 0) pairCounts.Remove(key); else pairCounts[key] = c;
                if (delta > 0 && c > 0) heap.Enqueue(key, (-c, key));
            }
            where.Remove(best);
        }

        var vocab = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int id = 0; id < tokens.Count; id++) vocab.TryAdd(tokens[id], id);
        return new BpeTokenizer(vocab, merges, preTokenizer);
    }

    private static long Key(int left, int right) => ((long)left << 32) | (uint)right;

    private static void Add(Dictionary<long, long> d, long key, long delta) => d[key] = d.GetValueOrDefault(key) + delta;
}
