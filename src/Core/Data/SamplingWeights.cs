// Per-domain sampling probabilities with a temperature: p_i ∝ w_i^(1/τ) (Conneau & Lample 2019, XLM §3.1;
// mT5 uses the same with α = 1/τ).
namespace PluginMoE.Core.Data;

/// <summary>Turns weights into normalised sampling probabilities.</summary>
public static class SamplingWeights
{
    /// <summary>
    /// Probabilities over <paramref name="domains"/>: weights (or <paramref name="sizes"/> when
    /// <paramref name="weights"/> is null) raised to 1/<paramref name="temperature"/> and normalised. Domains with
    /// weight 0 get probability 0.
    /// </summary>
    public static double[] Probabilities(IReadOnlyList<string> domains, IReadOnlyDictionary<string, long> sizes,
        IReadOnlyDictionary<string, double>? weights, double temperature)
    {
        ArgumentNullException.ThrowIfNull(domains);
        ArgumentNullException.ThrowIfNull(sizes);
        if (!(temperature > 0) || double.IsInfinity(temperature))
            throw new ArgumentOutOfRangeException(nameof(temperature), temperature, "sampling temperature must be a positive finite number (1 keeps the weights)");
        if (weights is not null)
            foreach (var (domain, w) in weights)
            {
                if (!domains.Contains(domain))
                    throw new ArgumentException($"sampling weight given for domain '{domain}', which has no training data; domains: {string.Join(", ", domains)}");
                if (w < 0 || !double.IsFinite(w))
                    throw new ArgumentException($"sampling weight of domain '{domain}' is {w}; weights must be finite and non-negative");
            }
        var raw = domains.Select(d => weights is null ? sizes[d] : weights.GetValueOrDefault(d)).ToArray();
        double max = raw.Max();
        if (!(max > 0))
            throw new ArgumentException($"no domain has a positive sampling weight; domains: {string.Join(", ", domains)}");
        // Scaled by the largest weight first so that a large exponent cannot overflow.
        var tempered = raw.Select(w => w > 0 ? Math.Pow(w / max, 1.0 / temperature) : 0.0).ToArray();
        double total = tempered.Sum();
        return [.. tempered.Select(t => t / total)];
    }
}
