// The train stage: trains one dense or MoE model from the profile with Core's Trainer, writing resumable
// checkpoints, log.jsonl, the final model, and the final per-domain evaluation (eval.json, summary.md).
using PluginMoE.Core.Checkpoints;
using PluginMoE.Core.Evaluation;
using PluginMoE.Core.Model;
using PluginMoE.Core.Training;
using PluginMoE.Host.Console;
using PluginMoE.Host.Telemetry;
using PluginMoE.Tensors;

namespace PluginMoE.Host.Stages;

/// <summary>Trains the model of the profile's Model section on its Data with its Training settings.</summary>
public sealed class TrainStage : IStage
{
    /// <summary>Folder (inside the stage folder) of the final model checkpoint.</summary>
    public const string ModelFolder = "model";

    /// <summary>Folder of the resumable checkpoints (model + trainer state), one per saved step.</summary>
    public const string CheckpointsFolder = "checkpoints";

    /// <summary>File in <see cref="CheckpointsFolder"/> naming the latest complete checkpoint.</summary>
    public const string LatestFile = "latest";

    /// <inheritdoc/>
    public string Name => "train";

    /// <inheritdoc/>
    public IReadOnlyDictionary<string, object?> Validate(Configuration.HostSettings settings, IPluginProvider plugins) =>
        PluginSelection.Resolve(settings, plugins).BoundOptions;

    /// <inheritdoc/>
    public void Run(StageContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        var settings = context.Settings;
        var selection = PluginSelection.Resolve(settings, context.Plugins);
        string dir = context.Run.Stage(Name);
        var data = TrainingData.Load(settings, selection, context.Progress, cancellationToken);
        var options = settings.Training.ToTrainerOptions(settings.Run.Seed) with
        {
            SamplingTemperature = settings.Data.SamplingTemperature,
            WindowOrder = settings.Data.WindowOrder == "sequential" ? Core.Data.WindowOrder.Sequential : Core.Data.WindowOrder.Random,
        };

        var (model, resumeFrom) = LoadOrCreate(dir, selection, settings.Run.Seed, context);
        var counts = model.CountParameters();
        context.Progress.Info($"train: {(model.Config.Moe is { } m ? $"MoE, {m.NumExperts} experts top-{m.TopK}, router '{m.Router}'" : "dense")}, " +
            $"{counts.Total:N0} parameters ({counts.ActiveInference:N0} active), {options.MaxSteps} steps of {options.BatchSize}x{options.SequenceLength} tokens");

        using var log = new JsonlLog(Path.Combine(dir, "log.jsonl"));
        EvaluationResult? last = null;
        context.Progress.Run("train", options.MaxSteps, task =>
        {
            var observer = new TrainingProgress(Name, task, log.Write);
            var trainer = new Trainer(model, data.Train, options, data.Validation, observer);
            if (resumeFrom is not null)
            {
                TrainerState.Load(resumeFrom, trainer);
                context.Progress.Info($"train: resuming after step {trainer.Step} from {resumeFrom}");
                task.Report(trainer.Step, "resumed");
            }
            while (trainer.Step < options.MaxSteps)
            {
                cancellationToken.ThrowIfCancellationRequested();
                long next = NextBoundary(trainer.Step, options.MaxSteps, settings.Training.EvalEvery, settings.Training.CheckpointEvery);
                trainer.Train(next - trainer.Step, cancellationToken);
                if (data.Validation is not null && IsBoundary(trainer.Step, options.MaxSteps, settings.Training.EvalEvery))
                {
                    last = Evaluate(model, data.Validation, options.EvalBatchSize, trainer.Step, cancellationToken);
                    observer.OnEvaluation(trainer.Step, last);
                }
                if (IsBoundary(trainer.Step, options.MaxSteps, settings.Training.CheckpointEvery)) SaveCheckpoint(dir, trainer, settings.Training.KeepCheckpoints);
            }
            return 0;
        });

        if (data.Validation is not null)
        {
            last ??= Evaluate(model, data.Validation, options.EvalBatchSize, options.MaxSteps, cancellationToken);
            EvaluationReport.Write(dir, last, options.MaxSteps, $"train: {settings.ProfileName}");
            foreach (var d in last.Domains)
                context.Progress.Info($"train: validation {d.Domain}: loss {d.Loss:F4}, perplexity {d.Perplexity:F3}");
        }
        using (var span = PluginMoeTelemetry.Source.StartActivity("checkpoint"))
        {
            string path = Path.Combine(dir, ModelFolder);
            span?.SetTag("path", path);
            CheckpointStore.Save(path, model.ToCheckpoint());
            Core.Text.CheckpointTokenizer.Save(path, data.Tokenizer);           // tokenizer.json beside config.json (none for bytes)
        }
        context.Progress.Info($"train: model written to {Path.Combine(dir, ModelFolder)}");
    }

    private static (TransformerLM Model, string? ResumeFrom) LoadOrCreate(string dir, PluginSelection selection, long seed, StageContext context)
    {
        string latest = Path.Combine(dir, CheckpointsFolder, LatestFile);
        if (File.Exists(latest))
        {
            string from = Path.Combine(dir, CheckpointsFolder, File.ReadAllText(latest).Trim());
            return (TransformerLM.FromCheckpoint(CheckpointStore.Load(from), context.Plugins.Catalog), from);
        }
        return (new TransformerLM(selection.Model, context.Plugins.Catalog, new Generator(seed)), null);
    }

    private static EvaluationResult Evaluate(TransformerLM model, Core.Data.ValidationSet validation, int batchSize, long step, CancellationToken cancellationToken)
    {
        using var span = PluginMoeTelemetry.Source.StartActivity("evaluate");
        span?.SetTag("step", step);
        try { return Evaluator.Evaluate(model, validation, batchSize, cancellationToken); }
        finally { model.train(); }
    }

    private static void SaveCheckpoint(string dir, Trainer trainer, int keep)
    {
        using var span = PluginMoeTelemetry.Source.StartActivity("checkpoint");
        string name = $"step-{trainer.Step:D8}";
        string root = Path.Combine(dir, CheckpointsFolder);
        string path = Path.Combine(root, name);
        span?.SetTag("path", path);
        span?.SetTag("step", trainer.Step);
        TrainerState.Save(path, trainer);
        // The pointer moves only after the checkpoint is complete; checkpoints beyond the newest `keep` are then dropped.
        AtomicFile.WriteAllText(Path.Combine(root, LatestFile), name);
        foreach (var old in Directory.GetDirectories(root, "step-*").Order(StringComparer.Ordinal).SkipLast(keep))
            Directory.Delete(old, recursive: true);
    }

    /// <summary>The next step at which training pauses to evaluate or save (never beyond <paramref name="max"/>).</summary>
    internal static long NextBoundary(long step, long max, long evalEvery, long checkpointEvery)
    {
        long next = max;
        foreach (var every in new[] { evalEvery, checkpointEvery })
            if (every > 0) next = Math.Min(next, (step / every + 1) * every);
        return next;
    }

    private static bool IsBoundary(long step, long max, long every) => step == max || (every > 0 && step % every == 0);
}
