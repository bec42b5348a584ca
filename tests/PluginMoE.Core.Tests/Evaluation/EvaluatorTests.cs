// Evaluator: losses equal a direct computation, routing fractions equal counts of the router's choices,
// parameter counts come from the model.
using PluginMoE.Core.Data;
using PluginMoE.Core.Evaluation;
using PluginMoE.Core.Tests.Training;
using static PluginMoE.Tensors.torch;

namespace PluginMoE.Core.Tests.Evaluation;

public sealed class EvaluatorTests
{
    private static ValidationSet Set() => ValidationSet.Build(TrainingFixtures.SyntheticCorpus(), 16, maxWindowsPerDomain: 5);

    [Fact]
    public void Evaluate_DomainLoss_EqualsTheMeanCrossEntropyOfItsWindows()
    {
        var model = TrainingFixtures.Build(TrainingFixtures.Dense);
        var result = Evaluator.Evaluate(model, Set(), batchSize: 2);   // batches of 2, 2, 1 windows

        foreach (var domain in new[] { "a", "b" })
        {
            var batch = Assert.Single(Set().Batches(domain, 100));
            using var _ = no_grad();
            var logits = model.forward(batch.Inputs).Logits;
            double expected = nn.functional.cross_entropy(logits.reshape(-1, 256), batch.Targets.reshape(-1)).ToDouble();
            var d = result[domain];
            Assert.Equal(expected, d.Loss, 5);
            Assert.Equal(5L * 16, d.Tokens);
            Assert.Equal(Math.Exp(d.Loss), d.Perplexity, 9);
            Assert.Empty(d.Routing);
        }
        Assert.Equal(model.CountParameters(), result.Parameters);
    }

    [Fact]
    public void Evaluate_MoeRouting_IsTheShareOfEachDomainsSlotsPerExpert()
    {
        var model = TrainingFixtures.Build(TrainingFixtures.Moe);
        var result = Evaluator.Evaluate(model, Set(), batchSize: 3);

        var batch = Assert.Single(Set().Batches("b", 100));
        using var _ = no_grad();
        var routing = model.forward(batch.Inputs).Routing;
        Assert.Equal(2, routing.Count);
        foreach (var layer in routing)
        {
            var ids = layer.ExpertIndices.data<long>();
            var expected = Enumerable.Range(0, 4).Select(e => ids.Count(i => i == e) / (double)ids.Length).ToArray();
            var actual = result["b"].Routing.Single(r => r.Layer == layer.Layer).Fractions;
            for (int e = 0; e < 4; e++) Assert.Equal(expected[e], actual[e], 12);
        }
        Assert.True(result.Parameters.Total > result.Parameters.ActiveTraining);
    }
}
