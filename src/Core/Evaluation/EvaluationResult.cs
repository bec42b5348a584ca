// What an evaluation reports: per-domain validation loss and perplexity, per-domain routing distributions,
// and the model's parameter counts.
using PluginMoE.Core.Model;

namespace PluginMoE.Core.Evaluation;

/// <summary>The result of <see cref="Evaluator.Evaluate"/>.</summary>
/// <param name="Domains">One entry per validation domain, in ordinal name order.</param>
/// <param name="Parameters">Total and active parameter counts of the model.</param>
public sealed record EvaluationResult(IReadOnlyList<DomainEvaluation> Domains, ParameterCounts Parameters)
{
    /// <summary>Mean NLL per token over all domains, weighting each domain by its token count.</summary>
    public double Loss => Domains.Sum(d => d.Loss * d.Tokens) / Math.Max(1, Domains.Sum(d => d.Tokens));

    /// <summary>The entry of <paramref name="domain"/>.</summary>
    public DomainEvaluation this[string domain] => Domains.FirstOrDefault(d => d.Domain == domain)
        ?? throw new KeyNotFoundException($"no evaluation for domain '{domain}'; domains: {string.Join(", ", Domains.Select(d => d.Domain))}");
}

/// <summary>Validation metrics of one domain.</summary>
/// <param name="Domain">Domain name.</param>
/// <param name="Loss">Mean negative log-likelihood per predicted token (nats).</param>
/// <param name="Perplexity">exp(<paramref name="Loss"/>).</param>
/// <param name="Tokens">Predicted tokens scored.</param>
/// <param name="Routing">Per MoE layer, the share of this domain's token slots sent to each expert (empty for a dense model).</param>
public sealed record DomainEvaluation(string Domain, double Loss, double Perplexity, long Tokens, IReadOnlyList<RoutingDistribution> Routing);

/// <summary>Share of token slots per expert in one MoE layer (sums to 1).</summary>
/// <param name="Layer">Layer index.</param>
/// <param name="Fractions">Fraction of slots routed to each expert.</param>
public sealed record RoutingDistribution(int Layer, double[] Fractions);
