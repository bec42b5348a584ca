// Training batches mixed over domains: each row picks a domain with its sampling probability (weights with a
// temperature), then a window of T+1 tokens from that domain's stream: a uniformly random one, or the next
// packed window after the domain's cursor (the data position, saved for resume).
using PluginMoE.Tensors;

namespace PluginMoE.Core.Data;

/// <summary>
/// Draws training batches from a <see cref="TokenCorpus"/> with per-domain sampling probabilities. All randomness
/// comes from one seeded <see cref="Generator"/> and sequential order keeps one cursor per domain, so
/// <see cref="State"/> and <see cref="Restore"/> resume the exact sequence of batches.
/// </summary>
public sealed class MixedDomainSampler
{
    private readonly TokenCorpus _corpus;
    private readonly string[] _domains;       // domains with a positive probability
    private readonly double[] _cumulative;    // cumulative probabilities
    private readonly Generator _generator;
    private readonly WindowOrder _order;
    private readonly long[] _cursors;         // sequential: offset of the next window, per sampled domain
    private readonly long[] _epochs;          // sequential: wraps so far, per sampled domain

    /// <summary>
    /// Creates a sampler. <paramref name="weights"/> maps domain -> non-negative weight (domains left out get 0);
    /// null weights every domain by its token count (the natural mixture).
    /// </summary>
    public MixedDomainSampler(TokenCorpus corpus, int batchSize, int sequenceLength, long seed, IReadOnlyDictionary<string, double>? weights = null)
        : this(corpus, batchSize, sequenceLength, seed, new SamplingOptions { Weights = weights })
    {
    }

    /// <summary>Creates a sampler with weights, a temperature and a window order.</summary>
    public MixedDomainSampler(TokenCorpus corpus, int batchSize, int sequenceLength, long seed, SamplingOptions sampling)
    {
        ArgumentNullException.ThrowIfNull(corpus);
        ArgumentNullException.ThrowIfNull(sampling);
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(sequenceLength, 1);
        _corpus = corpus;
        BatchSize = batchSize;
        SequenceLength = sequenceLength;
        _generator = new Generator(seed);
        _order = sampling.Order;

        var sizes = corpus.Domains.ToDictionary(d => d, d => (long)corpus[d].Length);
        var p = SamplingWeights.Probabilities(corpus.Domains, sizes, sampling.Weights, sampling.Temperature);
        var chosen = corpus.Domains.Select((d, i) => (Domain: d, P: p[i])).Where(x => x.P > 0).ToArray();
        foreach (var (domain, _) in chosen)
            if (corpus[domain].Length < sequenceLength + 1)
                throw new ArgumentException(
                    $"domain '{domain}' has {corpus[domain].Length} training tokens, fewer than one window of {sequenceLength + 1} " +
                    "(sequence length + 1); add data, shorten the sequence length or give the domain weight 0");
        _domains = [.. chosen.Select(c => c.Domain)];
        double acc = 0;
        _cumulative = [.. chosen.Select(c => acc += c.P)];
        _cumulative[^1] = 1.0;
        Probabilities = chosen.ToDictionary(c => c.Domain, c => c.P);
        _cursors = new long[_domains.Length];
        _epochs = new long[_domains.Length];
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
    public SamplerState State => _order == WindowOrder.Random
        ? new(_generator.get_state(), Step)
        : new(_generator.get_state(), Step)
        {
            Cursors = _domains.Select((d, i) => (d, i)).ToDictionary(x => x.d, x => _cursors[x.i], StringComparer.Ordinal),
            Epochs = _domains.Select((d, i) => (d, i)).ToDictionary(x => x.d, x => _epochs[x.i], StringComparer.Ordinal),
        };

    /// <summary>Continues from a saved state (for sequential order, the saved cursors must name this sampler's domains).</summary>
    public void Restore(SamplerState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        if (_order == WindowOrder.Sequential)
        {
            if (state.Cursors is null)
                throw new ArgumentException("the saved sampler state has no data position (it was written with random window order); resume with the same Order");
            for (int i = 0; i < _domains.Length; i++)
            {
                if (!state.Cursors.TryGetValue(_domains[i], out long cursor))
                    throw new ArgumentException($"the saved data position has no cursor for domain '{_domains[i]}'; saved domains: {string.Join(", ", state.Cursors.Keys)}");
                _cursors[i] = cursor;
                _epochs[i] = state.Epochs?.GetValueOrDefault(_domains[i]) ?? 0;
            }
        }
        _generator.set_state(state.Generator);
        Step = state.Step;
    }

    /// <summary>Draws the next batch.</summary>
    public TokenBatch Next()
    {
        int b = BatchSize;
        // Two uniforms per row: one picks the domain, one the window start (unused in sequential order, drawn so that both orders consume the generator alike).
        var u = torch.rand([2L * b], ScalarType.Float64, _generator).data<double>();
        var windows = new ReadOnlyMemory<int>[b];
        var domains = new string[b];
        for (int r = 0; r < b; r++)
        {
            int d = Array.FindIndex(_cumulative, c => u[2 * r] < c);
            if (d < 0) d = _cumulative.Length - 1;
            var stream = _corpus[_domains[d]];
            int start;
            if (_order == WindowOrder.Random)
            {
                long starts = stream.Length - SequenceLength;                 // valid window starts: 0 .. len - T - 1
                start = (int)Math.Min(starts - 1, (long)(u[2 * r + 1] * starts));
            }
            else
            {
                // Packed windows T apart (each overlaps the next by the one target token); a window that would run past the end wraps to 0.
                if (_cursors[d] + SequenceLength + 1 > stream.Length) { _cursors[d] = 0; _epochs[d]++; }
                start = (int)_cursors[d];
                _cursors[d] += SequenceLength;
            }
            windows[r] = stream.Slice(start, SequenceLength + 1);
            domains[r] = _domains[d];
        }
        Step++;
        return TokenBatch.FromWindows(windows, domains, SequenceLength);
    }
}
