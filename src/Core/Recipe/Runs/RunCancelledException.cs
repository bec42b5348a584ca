// A run stopped by Ctrl+C or SIGTERM, with the step it stopped at and the checkpoint that keeps the work.
namespace PluginMoE.Core.Recipe.Runs;

/// <summary>A stage was cancelled after saving what it could.</summary>
/// <param name="stage">The stage that was running.</param>
/// <param name="step">The last step that finished.</param>
/// <param name="checkpointStep">The step of the newest checkpoint, or null when there is none.</param>
/// <param name="inner">The cancellation.</param>
public sealed class RunCancelledException(string stage, long step, long? checkpointStep, OperationCanceledException inner)
    : OperationCanceledException(
        $"stage '{stage}' cancelled at step {step}; " + (checkpointStep is { } c ? $"checkpoint at step {c}" : "no checkpoint was written"),
        inner, inner.CancellationToken)
{
    /// <summary>The stage that was running.</summary>
    public string Stage { get; } = stage;

    /// <summary>The last step that finished.</summary>
    public long Step { get; } = step;

    /// <summary>The step of the newest checkpoint, or null when none was written.</summary>
    public long? CheckpointStep { get; } = checkpointStep;

    /// <summary>
    /// The unit of a recipe stage that was being made (e.g. <c>expert 'python'</c>), which keeps no checkpoint of its own:
    /// the finished units stay, and this one is redone from its start; null for the train stage, which checkpoints steps.
    /// </summary>
    public string? Unit { get; init; }
}
