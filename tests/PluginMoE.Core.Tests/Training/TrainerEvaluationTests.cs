// The single evaluation path: the Trainer decides the evaluation points (every EvalEvery steps and after the last; with
// EvalEvery 0 only after the last; none without a validation set), evaluates once at each through Evaluator (one
// "evaluate" span each), whether it trains in one call or in chunks as the train stage does between checkpoints, keeps
// the result for the caller (LastEvaluation), and finishes an evaluation point even when cancellation arrives during it.
using System.Collections.Concurrent;
using System.Diagnostics;
using PluginMoE.Core.Data;
using PluginMoE.Core.Evaluation;
using PluginMoE.Core.Recipe.Services;
using PluginMoE.Core.Training;

namespace PluginMoE.Core.Tests.Training;

public sealed class TrainerEvaluationTests
{
    private sealed class Recorder(Action<TrainingStep>? onStep = null) : ITrainingObserver
    {
        public List<(long Step, EvaluationResult Result)> Evaluations { get; } = [];
        public void OnStep(TrainingStep step) => onStep?.Invoke(step);
        public void OnEvaluation(long step, EvaluationResult result) => Evaluations.Add((step, result));
    }

    private static ValidationSet Validation() => ValidationSet.Build(TrainingFixtures.SyntheticCorpus(), 32, maxWindowsPerDomain: 2);

    // Runs <train> inside a root activity of its own and returns the "evaluate" spans made under it (other tests' spans are ignored).
    private static int EvaluateSpans(Action train)
    {
        using var source = new ActivitySource("PluginMoE.Tests.TrainerEvaluation");
        var spans = new ConcurrentBag<Activity>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = s => s.Name is RecipeTelemetry.Name or "PluginMoE.Tests.TrainerEvaluation",
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = spans.Add,
        };
        ActivitySource.AddActivityListener(listener);
        ActivityTraceId trace;
        using (var root = source.StartActivity("test")!)
        {
            trace = root.TraceId;
            train();
        }
        return spans.Count(a => a.OperationName == "evaluate" && a.TraceId == trace);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Train_EvaluatesOnceAtEachEvaluationPoint_EveryEvalEveryAndAfterTheLast_InOneCallOrInChunks(bool chunks)
    {
        var recorder = new Recorder();
        var trainer = new Trainer(TrainingFixtures.Build(TrainingFixtures.Dense), TrainingFixtures.SyntheticCorpus(),
            TrainingFixtures.Options(5) with { EvalEvery = 2 }, Validation(), recorder);
        int spans = EvaluateSpans(() =>
        {
            if (!chunks) trainer.Train();
            else while (trainer.Step < 5) trainer.Train(1);   // as the train stage pauses for checkpoints
        });

        Assert.Equal([2L, 4L, 5L], recorder.Evaluations.Select(e => e.Step));
        Assert.Equal(3, spans);                                      // one evaluation per point, not one more by anyone
        Assert.Equal(5, trainer.LastEvaluationStep);
        Assert.Same(recorder.Evaluations[^1].Result, trainer.LastEvaluation);
        Assert.Equal([false, true, false, true, true], Enumerable.Range(1, 5).Select(s => trainer.IsEvaluationPoint(s)));
    }

    [Fact]
    public void Train_WithEvalEveryZero_EvaluatesOnlyAfterTheLastStep_AndWithoutValidationNever()
    {
        var recorder = new Recorder();
        var trainer = new Trainer(TrainingFixtures.Build(TrainingFixtures.Dense), TrainingFixtures.SyntheticCorpus(), TrainingFixtures.Options(3), Validation(), recorder);
        trainer.Train();
        Assert.Equal([3L], recorder.Evaluations.Select(e => e.Step));

        var none = new Recorder();
        var blind = new Trainer(TrainingFixtures.Build(TrainingFixtures.Dense), TrainingFixtures.SyntheticCorpus(), TrainingFixtures.Options(3) with { EvalEvery = 1 }, observer: none);
        Assert.Equal(0, EvaluateSpans(() => blind.Train()));
        Assert.Empty(none.Evaluations);
        Assert.Null(blind.LastEvaluation);
        Assert.False(blind.IsEvaluationPoint(3));
        var e = Assert.Throws<InvalidOperationException>(() => blind.Evaluate());
        Assert.Equal("the trainer was built without a validation set", e.Message);
    }

    [Fact]
    public void Train_CancelledDuringAnEvaluationPoint_FinishesItsEvaluation_ThenStopsBeforeTheNextStep()
    {
        using var cts = new CancellationTokenSource();
        var recorder = new Recorder(s => { if (s.Step == 2) cts.Cancel(); });   // cancelled after step 2, before its evaluation
        var trainer = new Trainer(TrainingFixtures.Build(TrainingFixtures.Dense), TrainingFixtures.SyntheticCorpus(),
            TrainingFixtures.Options(5) with { EvalEvery = 2 }, Validation(), recorder);
        Assert.Throws<OperationCanceledException>(() => trainer.Train(cts.Token));
        Assert.Equal(2, trainer.Step);
        Assert.Equal([2L], recorder.Evaluations.Select(e => e.Step));
        Assert.Equal(2, trainer.LastEvaluationStep);
    }

    [Fact]
    public void Evaluate_IsTheEvaluatorsResult_AndBecomesTheLastEvaluation()
    {
        var model = TrainingFixtures.Build(TrainingFixtures.Dense);
        var trainer = new Trainer(model, TrainingFixtures.SyntheticCorpus(), TrainingFixtures.Options(3), Validation());
        var direct = Evaluator.Evaluate(model, Validation(), 32);
        var result = trainer.Evaluate();
        Assert.Equal(direct.Domains.Select(d => d.Loss), result.Domains.Select(d => d.Loss));
        Assert.Same(result, trainer.LastEvaluation);
        Assert.Equal(0, trainer.LastEvaluationStep);
    }
}
