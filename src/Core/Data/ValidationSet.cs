// Fixed validation windows per domain: consecutive windows of T+1 tokens overlapping by one token, so every
// token after the first is predicted exactly once; evenly thinned when a domain has more than the cap.
namespace PluginMoE.Core.Data;

/// <summary>Deterministic validation batches for each domain.</summary>
public sealed class ValidationSet
{
    private readonly Dictionary<string, ReadOnlyMemory<int>[]> _windows;

    private ValidationSet(Dictionary<string, ReadOnlyMemory<int>[]> windows, int sequenceLength)
    {
        _windows = windows;
        SequenceLength = sequenceLength;
        Domains = [.. windows.Keys.Order(StringComparer.Ordinal)];
    }

    /// <summary>Tokens per window (T).</summary>
    public int SequenceLength { get; }

    /// <summary>Domains with at least one window, in ordinal order.</summary>
    public IReadOnlyList<string> Domains { get; }

    /// <summary>Number of windows of <paramref name="domain"/>.</summary>
    public int WindowCount(string domain) => _windows[domain].Length;

    /// <summary>
    /// Cuts windows from each domain's stream. Domains shorter than one window are left out. When a domain has
    /// more than <paramref name="maxWindowsPerDomain"/> windows, that many evenly spaced ones are kept.
    /// </summary>
    public static ValidationSet Build(TokenCorpus corpus, int sequenceLength, int maxWindowsPerDomain = int.MaxValue)
    {
        ArgumentNullException.ThrowIfNull(corpus);
        ArgumentOutOfRangeException.ThrowIfLessThan(sequenceLength, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxWindowsPerDomain, 1);
        var result = new Dictionary<string, ReadOnlyMemory<int>[]>(StringComparer.Ordinal);
        foreach (var domain in corpus.Domains)
        {
            var stream = corpus[domain];
            long count = (stream.Length - 1) / sequenceLength;
            if (count == 0) continue;
            int keep = (int)Math.Min(count, maxWindowsPerDomain);
            result[domain] = [.. Enumerable.Range(0, keep).Select(j =>
                stream.Slice((int)(j * count / keep * sequenceLength), sequenceLength + 1))];
        }
        return new ValidationSet(result, sequenceLength);
    }

    /// <summary>The windows of <paramref name="domain"/> in batches of at most <paramref name="batchSize"/> rows.</summary>
    public IEnumerable<TokenBatch> Batches(string domain, int batchSize)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        var windows = _windows.TryGetValue(domain, out var w) ? w
            : throw new KeyNotFoundException($"no validation windows for domain '{domain}'; domains: {string.Join(", ", Domains)}");
        for (int i = 0; i < windows.Length; i += batchSize)
        {
            var chunk = windows[i..Math.Min(windows.Length, i + batchSize)];
            yield return TokenBatch.FromWindows(chunk, [.. Enumerable.Repeat(domain, chunk.Length)], SequenceLength);
        }
    }
}
