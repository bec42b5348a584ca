// Each domain's documents tokenized and concatenated into one token stream, the unit that training and
// validation windows are cut from.
using PluginMoE.Abstractions.Data;

namespace PluginMoE.Core.Data;

/// <summary>One token stream per domain, domains in ordinal name order.</summary>
public sealed class TokenCorpus
{
    private readonly Dictionary<string, int[]> _streams;

    private TokenCorpus(Dictionary<string, int[]> streams)
    {
        _streams = streams;
        Domains = [.. streams.Keys.Order(StringComparer.Ordinal)];
    }

    /// <summary>Domain names in ordinal order.</summary>
    public IReadOnlyList<string> Domains { get; }

    /// <summary>The token stream of <paramref name="domain"/>.</summary>
    public ReadOnlyMemory<int> this[string domain] => _streams.TryGetValue(domain, out var s) ? s
        : throw new KeyNotFoundException($"domain '{domain}' is not in the corpus; domains: {string.Join(", ", Domains)}");

    /// <summary>Total tokens over all domains.</summary>
    public long TotalTokens => _streams.Values.Sum(s => (long)s.Length);

    /// <summary>
    /// Tokenizes <paramref name="documents"/> and concatenates them per domain in input order, with
    /// <paramref name="separator"/> (e.g. a newline byte) after each document when given.
    /// </summary>
    public static TokenCorpus Build(IEnumerable<Document> documents, ITokenizer tokenizer, int? separator = null)
    {
        ArgumentNullException.ThrowIfNull(documents);
        ArgumentNullException.ThrowIfNull(tokenizer);
        if (separator is { } s && (s < 0 || s >= tokenizer.VocabSize))
            throw new ArgumentOutOfRangeException(nameof(separator), s, $"separator token must be in [0, {tokenizer.VocabSize})");
        var lists = new Dictionary<string, List<int>>(StringComparer.Ordinal);
        foreach (var doc in documents)
        {
            if (!lists.TryGetValue(doc.Domain, out var list)) lists[doc.Domain] = list = [];
            list.AddRange(tokenizer.Encode(doc.Text));
            if (separator is { } sep) list.Add(sep);
        }
        return new TokenCorpus(lists.ToDictionary(kv => kv.Key, kv => kv.Value.ToArray(), StringComparer.Ordinal));
    }

    /// <summary>A corpus from ready token streams (tests, pre-tokenized data).</summary>
    public static TokenCorpus FromStreams(IReadOnlyDictionary<string, int[]> streams) =>
        new(streams.ToDictionary(kv => kv.Key, kv => kv.Value, StringComparer.Ordinal));
}
