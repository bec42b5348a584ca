// The trainer's evaluation of a model after its last step, kept beside the model (final-evaluation.json) so that the
// evaluate stage does not evaluate the same model on the same validation windows a second time: with
// Training:EvalEvery above 0 the finetune and baselines stages' trainers evaluate after the last step, and evaluate
// reuses that result when the windows (their SHA-256) and the evaluation batch size are the ones it would use. Both
// are the same Evaluator.Evaluate call on the same weights (the saved model is the trained one), so the numbers are
// identical; evaluation tokens/s is the time of the trainer's evaluation.
using System.Diagnostics;
using System.Text.Json;
using PluginMoE.Core.Data;
using PluginMoE.Core.Evaluation;
using PluginMoE.Core.Recipe.Runs;
using PluginMoE.Core.Training;

namespace PluginMoE.Core.Recipe.Stages;

/// <summary>A unit's final validation measurement, made by its trainer.</summary>
public sealed class FinalEvaluation
{
    /// <summary>File in a unit folder.</summary>
    public const string FileName = "final-evaluation.json";

    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    /// <summary>The optimizer step the evaluation was made after (the unit's last).</summary>
    public long Step { get; set; }

    /// <summary>Rows per evaluation batch it used.</summary>
    public int EvalBatchSize { get; set; }

    /// <summary><see cref="ValidationSet.Sha256"/> of the windows it was made on.</summary>
    public string ValidationSha256 { get; set; } = "";

    /// <summary>The measurements (name and kind are filled by the evaluate stage).</summary>
    public ModelResult Result { get; set; } = new();

    /// <summary>Writes the trainer's final evaluation into <paramref name="unit"/>.</summary>
    public static void Save(string unit, EvaluationResult evaluation, ValidationSet validation, int batchSize, long step, double seconds)
    {
        ArgumentNullException.ThrowIfNull(evaluation);
        ArgumentNullException.ThrowIfNull(validation);
        var record = new FinalEvaluation
        {
            Step = step,
            EvalBatchSize = batchSize,
            ValidationSha256 = validation.Sha256(),
            Result = RecipeResults.From("", "", evaluation, evaluation.Domains.Sum(d => d.Tokens) / Math.Max(seconds, 1e-9)),
        };
        AtomicFile.WriteAllText(Path.Combine(unit, FileName), JsonSerializer.Serialize(record, Indented));
    }

    /// <summary>
    /// The validation measurements kept in <paramref name="unit"/> when they were made on <paramref name="validation"/>
    /// with <paramref name="batchSize"/>, named <paramref name="name"/> and <paramref name="kind"/>; else null.
    /// </summary>
    public static FinalEvaluation? Find(string unit, ValidationSet validation, int batchSize, string name, string kind)
    {
        ArgumentNullException.ThrowIfNull(validation);
        string path = Path.Combine(unit, FileName);
        if (!File.Exists(path)) return null;
        FinalEvaluation? record;
        try { record = JsonSerializer.Deserialize<FinalEvaluation>(File.ReadAllText(path)); }
        catch (JsonException) { return null; }   // not a record this build reads: measure again
        if (record is null || record.EvalBatchSize != batchSize || record.ValidationSha256 != validation.Sha256()) return null;
        record.Result.Name = name;
        record.Result.Kind = kind;
        return record;
    }

    /// <summary>An observer that passes everything on to another and times the evaluation that follows a step.</summary>
    public sealed class Clock(ITrainingObserver inner) : ITrainingObserver
    {
        private readonly Stopwatch _sinceStep = new();

        /// <summary>Seconds of the latest evaluation (from the end of the step before it to its report).</summary>
        public double LastEvaluationSeconds { get; private set; }

        /// <inheritdoc/>
        public void OnStep(TrainingStep step)
        {
            inner.OnStep(step);
            _sinceStep.Restart();
        }

        /// <inheritdoc/>
        public void OnEvaluation(long step, EvaluationResult result)
        {
            LastEvaluationSeconds = _sinceStep.Elapsed.TotalSeconds;
            inner.OnEvaluation(step, result);
        }
    }
}
