// Thrown when training produces a non-finite loss or gradient: the run stops before the bad update.
namespace PluginMoE.Core.Training;

/// <summary>Training stopped because the loss or the gradient norm became NaN or infinite. Parameters are left as they were before that step.</summary>
public sealed class TrainingDivergedException : Exception
{
    /// <summary>Creates the exception.</summary>
    public TrainingDivergedException(string message, long step, double? lastFiniteLoss) : base(message)
    {
        Step = step;
        LastFiniteLoss = lastFiniteLoss;
    }

    /// <summary>The 1-based step that diverged.</summary>
    public long Step { get; }

    /// <summary>The last finite step loss, or null when the first step diverged.</summary>
    public double? LastFiniteLoss { get; }
}
