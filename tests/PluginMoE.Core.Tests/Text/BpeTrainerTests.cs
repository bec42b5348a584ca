// Tests of BPE training: hand-derived merges, equivalence with a naive recount-every-merge trainer,
// determinism, and that the result round-trips text.
using PluginMoE.Core.Text;

namespace PluginMoE.Core.Tests.Text;

public sealed class BpeTrainerTests
{
    [Fact]
    public void Train_TinyCorpus_GivesTheHandDerivedMerges()
    {
        // Pre-tokens "ab", " ab", " ab", " cd": (a,b) x3 first, then (Ġ,ab) x2; the count-1 tie goes to the
        // smaller pair (Ġ=0x20, c) before (c, d).
        var bpe = BpeTrainer.Train(["ab ab ab cd"], vocabSize: 260, minFrequency: 1);
        Assert.Equal([("a", "b"), ("\u0120", "ab"), ("\u0120", "c"), ("\u0120c", "d")], bpe.Merges);
        Assert.Equal([256, 257, 257, 259], bpe.Encode("ab ab ab cd"));
        Assert.Equal(260, bpe.VocabSize);
    }

    [Fact]
    public void Train_MinFrequency_StopsBeforeRarePairs()
    {
        var bpe = BpeTrainer.Train(["ab ab ab cd"], vocabSize: 1000, minFrequency: 2);
        Assert.Equal([("a", "b"), ("\u0120", "ab")], bpe.Merges);
    }

    [Fact]
    public void Train_RandomCorpus_EqualsANaiveTrainerThatRecountsEveryPair()
    {
        var rng = new Random(7);
        var texts = Enumerable.Range(0, 60).Select(_ => new string([.. Enumerable.Range(0, 80).Select(_ => "aabbc d\né"[rng.Next(9)])])).ToList();
        var fast = BpeTrainer.Train(texts, vocabSize: 256 + 60, minFrequency: 1);
        Assert.Equal(NaiveMerges(texts, 60), fast.Merges);
    }

    [Fact]
    public void Train_SameSample_SameTokenizer()
    {
        var texts = Enumerable.Range(0, 200).Select(i => $"def function_{i % 17}(x):\n    return x * {i} + {i % 5}\n").ToList();
        var a = BpeTrainer.Train(texts, 300);
        var b = BpeTrainer.Train(texts, 300);
        Assert.Equal(a.Merges, b.Merges);
        Assert.Equal(300, a.VocabSize);
        string sample = string.Concat(texts.Take(20));
        Assert.Equal(sample, a.Decode(a.Encode(sample)));
        Assert.True(a.Encode(sample).Length < System.Text.Encoding.UTF8.GetByteCount(sample) / 2);
    }

    // The definition: count every adjacent pair over all pre-tokens, merge the most frequent (ties: smaller ids).
    private static List<(string, string)> NaiveMerges(List<string> texts, int count)
    {
        var words = new List<List<string>>();
        foreach (var t in texts)
            foreach (var (s, l) in BpePreTokenizer.Gpt2.Split(t))
                words.Add([.. ByteLevelAlphabet.ToText(System.Text.Encoding.UTF8.GetBytes(t.Substring(s, l))).Select(c => c.ToString())]);
        var ids = new Dictionary<string, int>();
        for (int b = 0; b < 256; b++) ids[ByteLevelAlphabet.Char((byte)b).ToString()] = b;
        var merges = new List<(string, string)>();
        for (int m = 0; m < count; m++)
        {
            var counts = new Dictionary<(string, string), int>();
            foreach (var w in words)
                for (int i = 0; i + 1 < w.Count; i++) counts[(w[i], w[i + 1])] = counts.GetValueOrDefault((w[i], w[i + 1])) + 1;
            if (counts.Count == 0) break;
            var best = counts.OrderByDescending(kv => kv.Value).ThenBy(kv => ids[kv.Key.Item1]).ThenBy(kv => ids[kv.Key.Item2]).First().Key;
            merges.Add(best);
            ids[best.Item1 + best.Item2] = 256 + m;
            foreach (var w in words)
                for (int i = 0; i + 1 < w.Count; i++)
                    if (w[i] == best.Item1 && w[i + 1] == best.Item2) { w[i] += w[i + 1]; w.RemoveAt(i + 1); }
        }
        return merges;
    }
}
