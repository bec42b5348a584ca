// Validation: mean next-token NLL and perplexity per domain over fixed windows, plus where each domain's
// tokens are routed (fraction of token slots per expert, per MoE layer). The one evaluation implementation: the
// trainer's evaluation points, the train stage's test split and the recipe's evaluate and extend stages all call it,
// and each call is one "evaluate" telemetry span.
using PluginMoE.Core.Data;
using PluginMoE.Core.Model;
using PluginMoE.Core.Recipe.Services;
using static PluginMoE.Tensors.torch;

namespace PluginMoE.Core.Evaluation;

/// <summary>Scores a model on a <see cref="ValidationSet"/>.</summary>
public static class Evaluator
{
    /// <summary>
    /// Evaluates <paramref name="model"/> (in eval mode, without gradients) on every domain of
    /// <paramref name="validation"/>. Leaves the model in eval mode.
    /// </summary>
    public static EvaluationResult Evaluate(TransformerLM model, ValidationSet validation, int batchSize = 16, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(validation);
        if (validation.Domains.Count == 0)
            throw new ArgumentException("the validation set has no domain with a full window; add validation data or shorten the sequence length");
        using var span = RecipeTelemetry.Source.StartActivity("evaluate");
        span?.SetTag("domains", validation.Domains.Count);
        model.eval();
        var domains = new List<DomainEvaluation>();
        using (no_grad())
        {
            foreach (var domain in validation.Domains)
            {
                double nll = 0;
                long tokens = 0;
                var slots = new SortedDictionary<int, long[]>();
                foreach (var batch in validation.Batches(domain, batchSize))
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    using var scope = NewDisposeScope(); // the batch's activations return to the pool after it
                    var output = model.forward(batch.Inputs);
                    var logits = output.Logits;                                       // (B, T, V)
                    var sum = nn.functional.cross_entropy(logits.reshape(-1, logits.size(-1)), batch.Targets.reshape(-1), reduction: "sum");
                    nll += sum.ToDouble();
                    tokens += batch.CountTargets();                                  // padded targets (document ends) are not scored
                    foreach (var r in output.Routing)
                    {
                        long n = r.ExpertCounts.size(0);
                        // Counted from the indices rather than ExpertCounts: validation rows are all real tokens.
                        var counts = r.ExpertIndices.reshape(-1).to(int64).bincount(minlength: n).data<long>();   // (n)
                        if (!slots.TryGetValue(r.Layer, out var acc)) slots[r.Layer] = acc = new long[n];
                        for (int e = 0; e < n; e++) acc[e] += counts[e];
                    }
                }
                double loss = nll / tokens;
                var routing = slots.Select(kv => new RoutingDistribution(kv.Key, [.. kv.Value.Select(c => (double)c / Math.Max(1, kv.Value.Sum()))])).ToArray();
                domains.Add(new DomainEvaluation(domain, loss, Math.Exp(loss), tokens, routing));
            }
        }
        return new EvaluationResult(domains, model.CountParameters());
    }
}
