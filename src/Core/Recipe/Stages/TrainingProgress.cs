// Turns the trainer's events into progress (loss, tokens/s, ETA), telemetry and the stage's log.jsonl.
using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using PluginMoE.Core.Evaluation;
using PluginMoE.Core.Training;
using PluginMoE.Core.Recipe.Services;

namespace PluginMoE.Core.Recipe.Stages;

/// <summary>An <see cref="ITrainingObserver"/> for the host.</summary>
/// <param name="stage">Stage name (telemetry tag).</param>
/// <param name="task">The progress task of the training loop.</param>
/// <param name="log">Receives one JSON object per step and per evaluation.</param>
/// <param name="info">Receives one console line per evaluation (step, validation loss, perplexity per domain), or null.</param>
public sealed class TrainingProgress(string stage, IProgressTask task, Action<JsonObject> log, Action<string>? info = null) : ITrainingObserver
{
    private long _maxSteps;

    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private long _firstStep = -1;

    /// <summary>Steps reported so far.</summary>
    public long Steps { get; private set; }

    /// <summary>The first step reported (0 when none was).</summary>
    public long FirstStep => _firstStep + 1;

    /// <summary>The last step reported.</summary>
    public long LastStep { get; private set; }

    /// <summary>Tokens of the reported steps.</summary>
    public long Tokens { get; private set; }

    /// <summary>Time spent in the reported steps (evaluations and checkpoints excluded).</summary>
    public TimeSpan TrainingTime { get; private set; }

    /// <inheritdoc/>
    public void OnStep(TrainingStep step)
    {
        ArgumentNullException.ThrowIfNull(step);
        if (_firstStep < 0) _firstStep = step.Step - 1;
        Steps++;
        LastStep = step.Step;
        _maxSteps = step.MaxSteps;
        Tokens += step.Tokens;
        TrainingTime += step.StepTime;
        RecipeTelemetry.RecordStep(stage, step);
        double perStep = _clock.Elapsed.TotalSeconds / Math.Max(1, step.Step - _firstStep);
        var eta = TimeSpan.FromSeconds(perStep * (step.MaxSteps - step.Step));
        task.Report(step.Step, string.Create(CultureInfo.InvariantCulture,
            $"loss {step.Loss:F3}  {step.TokensPerSecond:F0} tok/s  ETA {eta:hh\\:mm\\:ss}"));
        var line = new JsonObject
        {
            ["type"] = "step",
            ["step"] = step.Step,
            ["loss"] = step.Loss,
            ["aux_loss"] = step.AuxLoss,
            ["learning_rate"] = step.LearningRate,
            ["grad_norm"] = step.GradNorm,
            ["tokens"] = step.Tokens,
            ["tokens_per_second"] = step.TokensPerSecond,
            ["step_time_s"] = step.StepTime.TotalSeconds,
        };
        if (step.ExpertLoad.Count > 0)
            line["expert_load"] = new JsonObject(step.ExpertLoad.Select(l =>
                KeyValuePair.Create($"layer{l.Layer}", (JsonNode?)new JsonArray([.. l.Counts.Select(c => (JsonNode?)c)]))));
        log(line);
    }

    /// <inheritdoc/>
    public void OnEvaluation(long step, EvaluationResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        foreach (var d in result.Domains) RecipeTelemetry.RecordValidation(stage, d.Domain, d.Loss);
        info?.Invoke(string.Create(CultureInfo.InvariantCulture, $"{stage}: step {step}{(_maxSteps > 0 ? $"/{_maxSteps}" : "")}: validation loss {result.Loss:F4}, perplexity ") +
            string.Join(", ", result.Domains.Select(d => string.Create(CultureInfo.InvariantCulture, $"{d.Domain} {d.Perplexity:F3}"))));
        log(new JsonObject
        {
            ["type"] = "eval",
            ["step"] = step,
            ["loss"] = result.Loss,
            ["domains"] = new JsonObject(result.Domains.Select(d => KeyValuePair.Create(d.Domain,
                (JsonNode?)new JsonObject { ["loss"] = d.Loss, ["perplexity"] = d.Perplexity }))),
        });
    }
}
