// What scoring a text returns: how many tokens were predicted and how well.
namespace PluginMoE.Core.Inference;

/// <summary>Result of <see cref="Scorer.Score"/>.</summary>
/// <param name="Tokens">Number of predicted tokens (every token except the first of each window).</param>
/// <param name="MeanNll">Mean negative log-likelihood of the predicted tokens, in nats.</param>
/// <param name="Perplexity"><c>exp(MeanNll)</c>.</param>
public sealed record ScoreResult(long Tokens, double MeanNll, double Perplexity);
