// Training batches mixed over domains: each row picks a domain with probability proportional to its
// sampling weight, then a uniformly random window of T+1 tokens from that domain's stream.
using PluginMoE.Tensors;

namespace PluginMoE.Core.Data;

/// <summary>
/// Draws training batches from a <see cref="TokenCorpus"/> with per-domain sampling weights. All randomness
/// comes from one seeded <see cref="Generator"/>, so <see cref="State"/> and <see cref="Restore"/> resume the
/// exact sequence of batches.
/// </summary>
public sealed class MixedDomainSampler
{
    private readonly TokenCorpus _corpus;
    private readonly string[] _domains;       // domains with a positive weight
    private readonly double[] _cumulative;    // normalised cumulative weights
    private readonly Generator _generator;

    /// <summary>
    /// Creates a sampler. <paramref name="weights"/> maps domain -> non-negative weight (domains left out get 0);
    /// null weights every domain by its token count (the natural mixture).
    /// </summary>
    public MixedDomainSampler(TokenCorpus corpus, int batchSize, int sequenceLength, long seed, IReadOnlyDictionary<string, double>? weights = null)
    {
        ArgumentNullException.ThrowIfNull(corpus);
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(sequenceLength, 1);
        _corpus = corpus;
        BatchSize = batchSize;
        SequenceLength = sequenceLength;
        _generator = new Generator(seed);

        if (weights is not null)
        {
            foreach (var (domain, w) in weights)
            {
                if (!corpus.Domains.Contains(domain))
                    throw new ArgumentException($"sampling weight given for domain '{domain}', which has no training data; domains: {string.Join(", ", corpus.Domains)}");
                if (w < 0 || !double.IsFinite(w))
                    throw new ArgumentException($"sampling weight of domain '{domain}' is {w}; weights must be finite and non-negative");
            }
        }
        var chosen = corpus.Domains
            .Select(d => (Domain: d, Weight: weights is null ? corpus[d].Length : weights.GetValueOrDefault(d)))
            .Where(x => x.Weight > 0).ToArray();
        if (chosen.Length == 0)
            throw new ArgumentException($"no domain has a positive sampling weight; domains: {string.Join(", ", corpus.Domains)}");
        foreach (var (domain, _) in chosen)
            if (corpus[domain].Length < sequenceLength + 1)
                throw new ArgumentException(
                    $"domain '{domain}' has {corpus[domain].Length} training tokens, fewer than one window of {sequenceLength + 1} " +
                    "(sequence length + 1); add data, shorten the sequence length or give the domain weight 0");
        _domains = [.. chosen.Select(c => c.Domain)];
        double total = chosen.Sum(c => c.Weight), acc = 0;
        _cumulative = [.. chosen.Select(c => (acc += c.Weight) / total)];
        _cumulative[^1] = 1.0;
        Probabilities = chosen.ToDictionary(c => c.Domain, c => c.Weight / total);
    }

    /// <summary>Rows per batch (B).</summary>
    public int BatchSize { get; }

    /// <summary>Tokens per row (T).</summary>
    public int SequenceLength { get; }

    /// <summary>Normalised sampling probability of each sampled domain.</summary>
    public IReadOnlyDictionary<string, double> Probabilities { get; }

    /// <summary>Batches drawn so far.</summary>
    public long Step { get; private set; }

    /// <summary>The state to save for resume.</summary>
    public SamplerState State => new(_generator.get_state(), Step);

    /// <summary>Continues from a saved state.</summary>
    public void Restore(SamplerState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        _generator.set_state(state.Generator);
        Step = state.Step;
    }

    /// <summary>Draws the next batch.</summary>
    public TokenBatch Next()
    {
        int b = BatchSize;
        // Two uniforms per row: one picks the domain, one the window start.
        var u = torch.rand([2L * b], ScalarType.Float64, _generator).data<double>();
        var windows = new ReadOnlyMemory<int>[b];
        var domains = new string[b];
        for (int r = 0; r < b; r++)
        {
            int d = Array.FindIndex(_cumulative, c => u[2 * r] < c);
            if (d < 0) d = _cumulative.Length - 1;
            var stream = _corpus[_domains[d]];
            long starts = stream.Length - SequenceLength;                 // valid window starts: 0 .. len - T - 1
            int start = (int)Math.Min(starts - 1, (long)(u[2 * r + 1] * starts));
            windows[r] = stream.Slice(start, SequenceLength + 1);
            domains[r] = _domains[d];
        }
        Step++;
        return TokenBatch.FromWindows(windows, domains, SequenceLength);
    }
}
