// The train stage: trains one dense or MoE model from the profile with Core's Trainer, writing resumable
// checkpoints (each with the tokenizer, so any of them scores and generates on its own), log.jsonl, the final
// model, the per-domain validation evaluation during training (eval.json, summary.md) and, at the end, the
// evaluation on the held-out test split (test.json). When to evaluate is the Trainer's decision (every
// Training:EvalEvery steps and after the last, Trainer.IsEvaluationPoint); the stage reads its results (log lines and
// console through TrainingProgress, the final one through Trainer.LastEvaluation) and never evaluates validation itself,
// except once when a resumed run has no step left to take.
// Resuming truncates log.jsonl to the checkpoint's step (so the log equals an uninterrupted run's); a
// cancellation saves a checkpoint at the step where training stopped; a checkpoint that cannot be loaded is
// named, with the earlier ones --resume-from can choose.
using System.Globalization;
using PluginMoE.Core.Checkpoints;
using PluginMoE.Core.Evaluation;
using PluginMoE.Core.Model;
using PluginMoE.Core.Training;
using PluginMoE.Tensors;
using PluginMoE.Core.Composition;
using PluginMoE.Core.Recipe.Settings;
using PluginMoE.Core.Recipe.Services;
using PluginMoE.Core.Recipe.Runs;

namespace PluginMoE.Core.Recipe.Stages;

/// <summary>Trains the model of the profile's Model section on its Data with its Training settings.</summary>
public sealed class TrainStage : IStage
{
    /// <summary>Folder (inside the stage folder) of the final model checkpoint.</summary>
    public const string ModelFolder = "model";

    /// <summary>Folder of the resumable checkpoints (model + trainer state), one per saved step.</summary>
    public const string CheckpointsFolder = "checkpoints";

    /// <summary>File in <see cref="CheckpointsFolder"/> naming the latest complete checkpoint.</summary>
    public const string LatestFile = "latest";

    /// <summary>The stage's event log.</summary>
    public const string LogFile = "log.jsonl";

    /// <summary>The final evaluation on the test split (same fields as eval.json).</summary>
    public const string TestFile = "test.json";

    /// <inheritdoc/>
    public string Name => "train";

    /// <inheritdoc/>
    public IReadOnlyList<string> DefiningSettings { get; } = ["Run:Seed", "Model", "Data", "Training"];

    /// <summary>The defining settings, with Training as this stage trains with it (its own section applied, <see cref="StageTraining.ResolvedFor"/>), so its resume rules apply to the effective values.</summary>
    public StageSettings Fingerprint(System.Text.Json.Nodes.JsonObject resolved) => StageSettings.From(StageTraining.ResolvedFor(resolved, Name), DefiningSettings);

    /// <inheritdoc/>
    public IReadOnlyList<string> ResumableSettings { get; } =
        ["Training:Steps (upwards)", "Training:EvalEvery", "Training:CheckpointEvery", "Training:KeepCheckpoints", "Training:EvalBatchSize", "Data:MaxValidationWindows"];

    /// <inheritdoc/>
    public IReadOnlyDictionary<string, object?> Validate(ProfileSettings settings, IPluginProvider plugins, List<string> errors) =>
        PluginSelection.Resolve(settings, plugins, errors)?.BoundOptions ?? new Dictionary<string, object?>();

    /// <inheritdoc/>
    public ResumeVerdict OnResume(SettingChange change)
    {
        ArgumentNullException.ThrowIfNull(change);
        switch (change.Key)
        {
            case "Training:Steps":
                return long.TryParse(change.Stored, CultureInfo.InvariantCulture, out long before) && long.TryParse(change.Current, CultureInfo.InvariantCulture, out long after) && after > before
                    ? new ResumeVerdict(true, $"training continues to step {after}; from the checkpoint on, the learning-rate schedule decays over {after} steps", Reopens: true)
                    : ResumeVerdict.Refuse("Training:Steps may only increase on resume");
            case "Training:EvalEvery" or "Training:CheckpointEvery" or "Training:KeepCheckpoints" or "Training:EvalBatchSize":
                return new ResumeVerdict(true, "applies from the resumed step on");
            case "Data:MaxValidationWindows":
                return new ResumeVerdict(true, "evaluations from now on use the new number of validation windows");
            default:
                return ResumeVerdict.Refuse("it shapes the trained model");
        }
    }

    /// <inheritdoc/>
    public void Run(StageContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        var settings = context.Settings;
        var selection = PluginSelection.Resolve(settings, context.Plugins);
        string dir = context.Run.Stage(Name);
        var resume = FindCheckpoint(dir, context.ResumeFrom.GetValueOrDefault(Name));
        // Training with the train stage's own section (Recipe:Stages:train:Training) applied.
        var training = StageTraining.For(settings, Name);
        var options = training with
        {
            Seed = settings.Run.Seed,
            SamplingTemperature = settings.Data.SamplingTemperature,
            WindowOrder = settings.Data.WindowOrder == "sequential" ? Core.Data.WindowOrder.Sequential : Core.Data.WindowOrder.Random,
        };

        RecipeStage.Notice(context, StageTraining.WarmupNotice(settings, Name, null, options));
        TrainingData data;
        try { data = TrainingData.Load(settings, selection, context.Progress, cancellationToken, context.Run.Path); }
        catch (OperationCanceledException e) { throw new RunCancelledException(Name, resume?.Step ?? 0, resume?.Step, e); }

        var model = resume is null
            ? new TransformerLM(selection.Plan, context.Plugins.Catalog, new Generator(settings.Run.Seed))
            : Restore(dir, resume, () => TransformerLM.FromCheckpoint(CheckpointStore.Load(resume.Path), context.Plugins.Catalog));
        var counts = model.CountParameters();
        context.Progress.Info($"train: {(model.Config.Moe is { } m ? $"MoE, {m.NumExperts} experts top-{m.TopK}, router '{m.Router}'" : "dense")}, " +
            $"{counts.Total:N0} parameters ({counts.ActiveInference:N0} active), {options.Steps} steps of {options.BatchSize}x{options.SequenceLength} tokens");

        // The log holds what happened up to the checkpoint the run continues from; later lines belong to work that is redone.
        string logPath = Path.Combine(dir, LogFile);
        int dropped = JsonlLog.TruncateAfterStep(logPath, resume?.Step ?? 0);
        if (dropped > 0) context.Progress.Info($"train: {LogFile}: removed {dropped} line(s) after step {resume?.Step ?? 0}, whose work is redone from the checkpoint");

        using var log = new JsonlLog(logPath);
        EvaluationResult? last = null;
        TrainingProgress? observer = null;
        Trainer? trained = null;
        long? checkpointStep = resume?.Step;
        context.Progress.Run("train", options.Steps, task =>
        {
            observer = new TrainingProgress(Name, task, log.Write, context.Progress.Info);
            var trainer = trained = new Trainer(model, data.Train, options, data.Validation, observer);
            if (resume is not null)
            {
                Restore(dir, resume, () => { TrainerState.Load(resume.Path, trainer); return 0; });
                if (resume.Explicit) DropCheckpointsAfter(dir, resume.Name);
                context.Progress.Info($"train: resuming after step {trainer.Step} from {resume.Path}");
                task.Report(trainer.Step, "resumed");
            }
            while (trainer.Step < options.Steps)
            {
                // The trainer evaluates at its evaluation points inside Train; the stage pauses only to save checkpoints.
                long next = NextBoundary(trainer.Step, options.Steps, training.CheckpointEvery);
                try
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    trainer.Train(next - trainer.Step, cancellationToken);
                }
                catch (OperationCanceledException e)
                {
                    // The trainer stops between steps, so its state is whole: keep the steps done since the last checkpoint.
                    if (trainer.Step > (checkpointStep ?? 0))
                    {
                        SaveCheckpoint(dir, trainer, data.Tokenizer, training.KeepCheckpoints);
                        checkpointStep = trainer.Step;
                    }
                    throw new RunCancelledException(Name, trainer.Step, checkpointStep, e);
                }
                catch (TrainingDivergedException e)
                {
                    // The checkpoints written so far stay; the message names the stage and the last one to resume from.
                    throw new TrainingDivergedException($"stage '{Name}': {e.Message}" + (checkpointStep is { } c ? $" (the latest checkpoint is at step {c})" : ""), e.Step, e.LastFiniteLoss);
                }
                // A checkpoint at a boundary is not interrupted (nor is the trainer's evaluation before it), so a resumed log has the same lines.
                if (IsBoundary(trainer.Step, options.Steps, training.CheckpointEvery))
                {
                    SaveCheckpoint(dir, trainer, data.Tokenizer, training.KeepCheckpoints);
                    checkpointStep = trainer.Step;
                }
            }
            return 0;
        });

        if (data.Validation is not null)
        {
            // The trainer's evaluation after the last step; a resumed run with no step left to take evaluates once here.
            last = trained!.LastEvaluationStep == options.Steps ? trained.LastEvaluation! : trained.Evaluate(cancellationToken);
            EvaluationReport.Write(dir, last, options.Steps, $"train: {settings.ProfileName}");
        }
        EvaluationResult? test = null;
        if (data.Test is not null)
        {
            test = Evaluator.Evaluate(model, data.Test, options.EvalBatchSize, cancellationToken);
            AtomicFile.WriteAllText(Path.Combine(dir, TestFile), EvaluationReport.ToJson(test, options.Steps).ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true }));
            context.Progress.Info($"train: test perplexity (held-out split, {TestFile}) {Perplexities(test)}");
        }
        using (var span = RecipeTelemetry.Source.StartActivity("checkpoint"))
        {
            string path = Path.Combine(dir, ModelFolder);
            span?.SetTag("path", path);
            CheckpointStore.Save(path, model.ToCheckpoint());
            Core.Text.CheckpointTokenizer.Save(path, data.Tokenizer);           // tokenizer.json beside config.json (none for bytes)
        }
        context.Progress.Info($"train: model written to {Path.Combine(dir, ModelFolder)}");
        context.Summary.Add(Summary(observer!, options.Steps, last) + (test is null ? "" : $"; test perplexity {Perplexities(test)}"));
    }

    private static string Summary(TrainingProgress observer, long maxSteps, EvaluationResult? last)
    {
        var c = CultureInfo.InvariantCulture;
        string trained = observer.Steps == 0
            ? $"train: no steps to take (already at step {maxSteps})"
            : string.Create(c, $"train: steps {observer.FirstStep}-{observer.LastStep} of {maxSteps} in {observer.TrainingTime:hh\\:mm\\:ss}, mean {observer.Tokens / Math.Max(observer.TrainingTime.TotalSeconds, 1e-9):N0} tokens/s");
        return last is null ? $"{trained}; no validation data" : $"{trained}; final validation perplexity {Perplexities(last)}";
    }

    private static string Perplexities(EvaluationResult result) =>
        string.Join(", ", result.Domains.Select(d => string.Create(CultureInfo.InvariantCulture, $"{d.Domain} {d.Perplexity:F3}")));

    /// <summary>A checkpoint to resume from.</summary>
    private sealed record Checkpoint(string Name, string Path, long Step, bool Explicit);

    /// <summary>The checkpoint named by <paramref name="chosen"/> (<c>--resume-from</c>), else the one <c>latest</c> names, else null.</summary>
    private Checkpoint? FindCheckpoint(string dir, string? chosen)
    {
        string root = Path.Combine(dir, CheckpointsFolder);
        if (chosen is not null)
        {
            string name = Path.GetFileName(chosen.TrimEnd('/', Path.DirectorySeparatorChar));
            string path = Path.Combine(root, name);
            if (!Directory.Exists(path) || StepOf(name) is not { } s)
                throw new ConfigurationException($"--resume-from: stage '{Name}' has no checkpoint '{name}' in {root}; {Available(root, null)}");
            return new Checkpoint(name, path, s, Explicit: true);
        }
        string latest = Path.Combine(root, LatestFile);
        if (!File.Exists(latest)) return null;
        string pointed = File.ReadAllText(latest).Trim();
        string target = Path.Combine(root, pointed);
        if (StepOf(pointed) is not { } step || !Directory.Exists(target))
            throw Corrupt(dir, pointed.Length == 0 ? LatestFile : pointed, $"'{latest}' names '{pointed}', which is not a checkpoint folder there");
        return new Checkpoint(pointed, target, step, Explicit: false);
    }

    // Runs a load step of a checkpoint; any failure names the checkpoint and the earlier ones to resume from.
    private T Restore<T>(string dir, Checkpoint checkpoint, Func<T> load)
    {
        try { return load(); }
        catch (Exception e) when (e is not OperationCanceledException and not OutOfMemoryException and not ConfigurationException)
        {
            throw Corrupt(dir, checkpoint.Name, e.Message);
        }
    }

    private ConfigurationException Corrupt(string dir, string name, string reason)
    {
        string root = Path.Combine(dir, CheckpointsFolder);
        return new ConfigurationException(
            $"stage '{Name}': checkpoint '{Path.Combine(root, name)}' cannot be resumed: {reason.TrimEnd('.')}. {Available(root, StepOf(name))}");
    }

    private string Available(string root, long? before)
    {
        var earlier = Checkpoints(root).Where(c => before is null || c.Step < before).Select(c => c.Name).ToList();
        return earlier.Count == 0
            ? $"There is no {(before is null ? "" : "earlier ")}checkpoint to resume from; start the stage afresh with --restart {Name}"
            : $"Resume from an {(before is null ? "available" : "earlier")} checkpoint with --resume-from {earlier[^1]} (available: {string.Join(", ", earlier)}), or start the stage afresh with --restart {Name}";
    }

    private static IEnumerable<(string Name, long Step)> Checkpoints(string root) =>
        !Directory.Exists(root) ? [] : Directory.GetDirectories(root, "step-*").Select(d => Path.GetFileName(d))
            .Select(n => (Name: n, Step: StepOf(n))).Where(c => c.Step is not null).Select(c => (c.Name, c.Step!.Value)).OrderBy(c => c.Item2);

    private static long? StepOf(string name) =>
        name.StartsWith("step-", StringComparison.Ordinal) && long.TryParse(name.AsSpan(5), NumberStyles.None, CultureInfo.InvariantCulture, out long s) ? s : null;

    // Resuming from an earlier checkpoint on purpose supersedes the later ones (they may be the corrupt ones).
    private static void DropCheckpointsAfter(string dir, string name)
    {
        string root = Path.Combine(dir, CheckpointsFolder);
        long step = StepOf(name)!.Value;
        foreach (var (later, _) in Checkpoints(root).Where(c => c.Step > step).ToList()) Directory.Delete(Path.Combine(root, later), recursive: true);
        AtomicFile.WriteAllText(Path.Combine(root, LatestFile), name);
    }

    private static void SaveCheckpoint(string dir, Trainer trainer, Abstractions.Data.ITokenizer tokenizer, int keep)
    {
        using var span = RecipeTelemetry.Source.StartActivity("checkpoint");
        string name = $"step-{trainer.Step:D8}";
        string root = Path.Combine(dir, CheckpointsFolder);
        string path = Path.Combine(root, name);
        span?.SetTag("path", path);
        span?.SetTag("step", trainer.Step);
        // A folder of that name left by an earlier attempt (e.g. before a --resume-from) is replaced.
        if (Directory.Exists(path)) Directory.Delete(path, recursive: true);
        TrainerState.Save(path, trainer);
        Core.Text.CheckpointTokenizer.Save(path, tokenizer);                // before the pointer moves: a checkpoint is whole with its tokenizer
        // The pointer moves only after the checkpoint is complete; checkpoints beyond the newest `keep` are then dropped.
        AtomicFile.WriteAllText(Path.Combine(root, LatestFile), name);
        foreach (var old in Directory.GetDirectories(root, "step-*").Order(StringComparer.Ordinal).SkipLast(keep))
            Directory.Delete(old, recursive: true);
    }

    /// <summary>The next step at which training pauses to save a checkpoint (never beyond <paramref name="max"/>).</summary>
    internal static long NextBoundary(long step, long max, long checkpointEvery) =>
        checkpointEvery > 0 ? Math.Min(max, (step / checkpointEvery + 1) * checkpointEvery) : max;

    private static bool IsBoundary(long step, long max, long every) => step == max || (every > 0 && step % every == 0);
}
