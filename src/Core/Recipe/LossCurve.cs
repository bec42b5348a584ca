// A training-loss curve (step, loss) recorded while a recipe stage trains, with the validation loss at the trainer's
// evaluation points (Training:EvalEvery; none when it is 0), saved beside the model as loss.json so that the report can
// draw both without re-reading logs.
using System.Text.Json;
using PluginMoE.Core.Evaluation;
using PluginMoE.Core.Training;

namespace PluginMoE.Core.Recipe;

/// <summary>Training loss per step; an observer of the trainer.</summary>
public sealed class LossCurve : ITrainingObserver
{
    /// <summary>File name of a saved curve.</summary>
    public const string FileName = "loss.json";

    /// <summary>Loss per step, in order.</summary>
    public List<LossPoint> Points { get; init; } = [];

    /// <summary>Validation loss (token-weighted over the domains) at each of the trainer's evaluation points, in order; empty when it evaluated none.</summary>
    public List<LossPoint> Validation { get; init; } = [];

    /// <summary>Tokens trained on.</summary>
    public long Tokens { get; set; }

    /// <summary>Seconds spent in optimizer steps.</summary>
    public double Seconds { get; set; }

    /// <inheritdoc/>
    public void OnStep(TrainingStep step)
    {
        ArgumentNullException.ThrowIfNull(step);
        Points.Add(new LossPoint(step.Step, step.Loss));
        Tokens += step.Tokens;
        Seconds += step.StepTime.TotalSeconds;
    }

    /// <inheritdoc/>
    public void OnEvaluation(long step, EvaluationResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        Validation.Add(new LossPoint(step, result.Loss));
    }

    /// <summary>Writes the curve to <paramref name="directory"/>/loss.json.</summary>
    public void Save(string directory) => File.WriteAllText(Path.Combine(directory, FileName), JsonSerializer.Serialize(this));

    /// <summary>The curve saved in <paramref name="directory"/>, or null when there is none.</summary>
    public static LossCurve? Load(string directory)
    {
        string path = Path.Combine(directory, FileName);
        return File.Exists(path) ? JsonSerializer.Deserialize<LossCurve>(File.ReadAllText(path)) : null;
    }
}

/// <summary>One point of a loss curve.</summary>
/// <param name="Step">Optimizer step.</param>
/// <param name="Loss">Training loss (mean cross-entropy) at that step, or the validation loss after it.</param>
public sealed record LossPoint(long Step, double Loss);
