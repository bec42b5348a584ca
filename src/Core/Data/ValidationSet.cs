// Fixed validation windows per domain: consecutive windows of T+1 tokens overlapping by one token, so every
// token after the first is predicted exactly once; evenly thinned when a domain has more than the cap. Built
// from documents, windows never cross a document boundary: a document's last window is padded, and padded
// targets are ignored by the loss.
using PluginMoE.Abstractions.Data;

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

    /// <summary>
    /// Cuts each document into its own windows of T+1 tokens (starts 0, T, 2T, ...), the last one padded
    /// (<see cref="TokenBatch.IgnoreIndex"/> targets), so no window mixes two documents and every token of a document
    /// after its first is predicted exactly once with context from that document only. Documents of fewer than 2
    /// tokens are left out; a domain with more than <paramref name="maxWindowsPerDomain"/> windows keeps that many
    /// evenly spaced ones.
    /// </summary>
    public static ValidationSet BuildPerDocument(IEnumerable<Document> documents, ITokenizer tokenizer, int sequenceLength, int maxWindowsPerDomain = int.MaxValue)
    {
        ArgumentNullException.ThrowIfNull(documents);
        ArgumentNullException.ThrowIfNull(tokenizer);
        ArgumentOutOfRangeException.ThrowIfLessThan(sequenceLength, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxWindowsPerDomain, 1);
        var lists = new Dictionary<string, List<ReadOnlyMemory<int>>>(StringComparer.Ordinal);
        foreach (var doc in documents)
        {
            var tokens = tokenizer.Encode(doc.Text);
            if (tokens.Length < 2) continue;
            if (!lists.TryGetValue(doc.Domain, out var list)) lists[doc.Domain] = list = [];
            for (int s = 0; s + 1 < tokens.Length; s += sequenceLength)
            {
                int len = Math.Min(sequenceLength + 1, tokens.Length - s);
                var window = new int[sequenceLength + 1];
                tokens.AsSpan(s, len).CopyTo(window);
                window.AsSpan(len).Fill(TokenBatch.Padding);
                list.Add(window);
            }
        }
        var result = new Dictionary<string, ReadOnlyMemory<int>[]>(StringComparer.Ordinal);
        foreach (var (domain, list) in lists)
        {
            int keep = Math.Min(list.Count, maxWindowsPerDomain);
            result[domain] = [.. Enumerable.Range(0, keep).Select(j => list[(int)((long)j * list.Count / keep)])];
        }
        return new ValidationSet(result, sequenceLength);
    }

    /// <summary>The same windows without those of <paramref name="domain"/> (the recipe's held-out extension domain).</summary>
    public ValidationSet Without(string domain) =>
        new(_windows.Where(kv => kv.Key != domain).ToDictionary(kv => kv.Key, kv => kv.Value, StringComparer.Ordinal), SequenceLength);

    /// <summary>SHA-256 of the windows (sequence length, each domain's name and tokens, in order): equal for the same validation set.</summary>
    public string Sha256()
    {
        using var hash = System.Security.Cryptography.IncrementalHash.CreateHash(System.Security.Cryptography.HashAlgorithmName.SHA256);
        hash.AppendData(BitConverter.GetBytes(SequenceLength));
        foreach (var domain in Domains)
        {
            hash.AppendData(System.Text.Encoding.UTF8.GetBytes(domain + "\n"));
            foreach (var window in _windows[domain])
            {
                hash.AppendData(BitConverter.GetBytes(window.Length));
                hash.AppendData(System.Runtime.InteropServices.MemoryMarshal.AsBytes(window.Span));
            }
        }
        return Convert.ToHexStringLower(hash.GetHashAndReset());
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
