// Trainer behaviour: freezing, divergence stop, accumulation equivalence, schedule and weight-decay groups.
using PluginMoE.Core.Training;
using static PluginMoE.Tensors.torch;

namespace PluginMoE.Core.Tests.Training;

public sealed class TrainerBehaviourTests
{
    [Fact]
    public void Train_OnlyRouters_LeavesEveryOtherParameterBitwiseUnchanged()
    {
        var model = TrainingFixtures.Build(TrainingFixtures.Moe);
        var before = TrainingFixtures.Snapshot(model);
        var trainer = new Trainer(model, TrainingFixtures.SyntheticCorpus(), TrainingFixtures.Options(3) with { TrainableParameters = ["*.mlp.gate.*"] });
        trainer.Train();

        Assert.Equal(["model.layers.0.mlp.gate.weight", "model.layers.1.mlp.gate.weight"], trainer.TrainedParameters);
        foreach (var (name, values) in TrainingFixtures.Snapshot(model))
        {
            bool same = values.AsSpan().SequenceEqual(before[name]);
            Assert.True(trainer.TrainedParameters.Contains(name) ? !same : same, name);
        }
    }

    [Fact]
    public void Constructor_FreezePatternMatchingNothing_FailsNamingThePattern()
    {
        var e = Assert.Throws<ArgumentException>(() => new Trainer(TrainingFixtures.Build(TrainingFixtures.Dense), TrainingFixtures.SyntheticCorpus(),
            TrainingFixtures.Options(3) with { TrainableParameters = ["re:.*\\.router\\..*"] }));
        Assert.Contains("TrainableParameters pattern 're:.*\\.router\\..*' matches no parameter; parameters are named like 'model.embed_tokens.weight'", e.Message);
    }

    [Fact]
    public void Train_NonFiniteLoss_StopsNamingTheStepAndTheLastFiniteLoss()
    {
        var model = TrainingFixtures.Build(TrainingFixtures.Dense);
        var trainer = new Trainer(model, TrainingFixtures.SyntheticCorpus(), TrainingFixtures.Options(5));
        trainer.Train(2);
        var norm = model.named_parameters().Single(p => p.name == "model.norm.weight").parameter;
        using (no_grad()) norm.fill_(double.NaN);
        var before = TrainingFixtures.Snapshot(model);

        var e = Assert.Throws<TrainingDivergedException>(() => trainer.Train());
        Assert.Equal(3, e.Step);
        Assert.StartsWith("training stopped at step 3: the loss is NaN (the last finite loss was ", e.Message);
        Assert.Contains(" at step 2); parameters are unchanged since step 2", e.Message);
        Assert.Equal(2, trainer.Step);
        foreach (var (name, values) in TrainingFixtures.Snapshot(model)) Assert.True(values.AsSpan().SequenceEqual(before[name]), name);
    }

    [Fact]
    public void Train_TwoAccumulatedHalfBatches_EqualOneFullBatch()
    {
        // The sampler draws the same windows for 2 x 4 rows as for 1 x 8 rows, so only the summation order differs.
        var full = new Trainer(TrainingFixtures.Build(TrainingFixtures.Dense), TrainingFixtures.SyntheticCorpus(), TrainingFixtures.Options(2) with { BatchSize = 8 });
        var halves = new Trainer(TrainingFixtures.Build(TrainingFixtures.Dense), TrainingFixtures.SyntheticCorpus(),
            TrainingFixtures.Options(2) with { BatchSize = 4, GradientAccumulationSteps = 2 });
        full.Train();
        halves.Train();
        var a = TrainingFixtures.Snapshot(full.Model);
        var b = TrainingFixtures.Snapshot(halves.Model);
        foreach (var (name, values) in a)
            for (int i = 0; i < values.Length; i++) Assert.Equal(values[i], b[name][i], 1e-5);
    }

    [Fact]
    public void Train_MoeMicroBatches_EachReleasedBeforeTheNext_EqualOneFullBatchAndKeepTheirGradients()
    {
        // Each micro-batch runs in its own dispose scope: its activations go back to the pool before the next one, and
        // only the accumulated .grad (never scoped) carries over; the result must equal the full batch, and every
        // gradient must still be readable after the step (a released buffer would throw, never show other data).
        // (No load-balancing loss here: it is not additive over micro-batches, the cross-entropy is.)
        var config = TrainingFixtures.Moe with { Moe = TrainingFixtures.Moe.Moe! with { LoadBalanceWeight = 0 } };
        var full = new Trainer(TrainingFixtures.Build(config), TrainingFixtures.SyntheticCorpus(), TrainingFixtures.Options(2) with { BatchSize = 8 });
        var quarters = new Trainer(TrainingFixtures.Build(config), TrainingFixtures.SyntheticCorpus(),
            TrainingFixtures.Options(2) with { BatchSize = 2, GradientAccumulationSteps = 4 });
        full.Train();
        quarters.Train();
        var a = TrainingFixtures.Snapshot(full.Model);
        var b = TrainingFixtures.Snapshot(quarters.Model);
        foreach (var (name, values) in a)
            for (int i = 0; i < values.Length; i++) Assert.Equal(values[i], b[name][i], 1e-4);
        foreach (var (name, p) in quarters.Model.named_parameters())
        {
            if (p.grad is not { } g) continue;
            Assert.All(g.data<float>(), v => Assert.True(float.IsFinite(v), name));
        }
    }

    [Fact]
    public void Constructor_NormsAndVectors_GetNoWeightDecay()
    {
        var trainer = new Trainer(TrainingFixtures.Build(TrainingFixtures.Dense), TrainingFixtures.SyntheticCorpus(), TrainingFixtures.Options(3));
        var groups = trainer.Optimizer.param_groups;
        Assert.Equal(["decay", "no_decay"], groups.Select(g => g.name));
        Assert.Equal(0.1, groups[0].weight_decay);
        Assert.Equal(0.0, groups[1].weight_decay);
        Assert.All(groups[1].parameters, p => Assert.Equal(1, p.dim()));
        Assert.All(groups[0].parameters, p => Assert.Equal(2, p.dim()));
    }

    [Fact]
    public void Train_LearningRate_WarmsUpThenDecaysToTheFloor()
    {
        var lrs = new List<double>();
        var observer = new StepRecorder(s => lrs.Add(s.LearningRate));
        var trainer = new Trainer(TrainingFixtures.Build(TrainingFixtures.Dense), TrainingFixtures.SyntheticCorpus(),
            TrainingFixtures.Options(6) with { LearningRate = 1e-3, WarmupSteps = 2, MinLearningRateRatio = 0.1 }, observer: observer);
        trainer.Train();
        Assert.Equal(1e-3 / 3, lrs[0], 12);
        Assert.Equal(1e-3 * 2 / 3, lrs[1], 12);
        Assert.Equal(1e-3, lrs[2], 12);
        Assert.True(lrs[3] < lrs[2] && lrs[4] < lrs[3] && lrs[5] < lrs[4]);
        Assert.True(lrs[5] > 1e-4);
        Assert.Equal(1e-4, trainer.Optimizer.param_groups[0].lr, 12);
    }

    [Fact]
    public void Train_CancelledToken_StopsBetweenSteps()
    {
        using var cts = new CancellationTokenSource();
        var observer = new StepRecorder(s => { if (s.Step == 2) cts.Cancel(); });
        var trainer = new Trainer(TrainingFixtures.Build(TrainingFixtures.Dense), TrainingFixtures.SyntheticCorpus(), TrainingFixtures.Options(5), observer: observer);
        Assert.Throws<OperationCanceledException>(() => trainer.Train(cts.Token));
        Assert.Equal(2, trainer.Step);
    }

    private sealed class StepRecorder(Action<TrainingStep> onStep) : ITrainingObserver
    {
        public void OnStep(TrainingStep step) => onStep(step);
        public void OnEvaluation(long step, Core.Evaluation.EvaluationResult result) { }
    }
}
