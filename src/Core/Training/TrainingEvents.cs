// What the trainer tells its observer: one event per optimizer step and one per evaluation. The host maps
// them to progress bars, metrics.jsonl and OpenTelemetry; Core itself never prints.
using PluginMoE.Core.Evaluation;

namespace PluginMoE.Core.Training;

/// <summary>Receives training progress. Called on the training thread; keep handlers short.</summary>
public interface ITrainingObserver
{
    /// <summary>After each optimizer step.</summary>
    void OnStep(TrainingStep step);

    /// <summary>After each evaluation.</summary>
    void OnEvaluation(long step, EvaluationResult result);
}

/// <summary>Metrics of one optimizer step.</summary>
/// <param name="Step">1-based number of the step just taken.</param>
/// <param name="MaxSteps">Steps of the whole run.</param>
/// <param name="Loss">Mean cross-entropy (nats per token) over the step's micro-batches.</param>
/// <param name="AuxLoss">Mean weighted auxiliary loss (load balancing, z-loss, router losses).</param>
/// <param name="LearningRate">Learning rate used for this step.</param>
/// <param name="GradNorm">Global L2 gradient norm before clipping.</param>
/// <param name="Tokens">Tokens consumed by this step.</param>
/// <param name="TokensPerSecond">Tokens / step time.</param>
/// <param name="StepTime">Wall-clock time of the step.</param>
/// <param name="ExpertLoad">Token slots per expert in each MoE layer over this step (empty for a dense model).</param>
public sealed record TrainingStep(long Step, long MaxSteps, double Loss, double AuxLoss, double LearningRate, double GradNorm,
    long Tokens, double TokensPerSecond, TimeSpan StepTime, IReadOnlyList<ExpertLoad> ExpertLoad);

/// <summary>Token slots routed to each expert of one MoE layer.</summary>
/// <param name="Layer">Layer index.</param>
/// <param name="Counts">Slots per expert.</param>
public sealed record ExpertLoad(int Layer, long[] Counts);

/// <summary>An observer that ignores everything.</summary>
public sealed class NullTrainingObserver : ITrainingObserver
{
    /// <summary>The shared instance.</summary>
    public static readonly NullTrainingObserver Instance = new();

    /// <inheritdoc/>
    public void OnStep(TrainingStep step) { }

    /// <inheritdoc/>
    public void OnEvaluation(long step, EvaluationResult result) { }
}
