// What the recipe's stages (seed, branch, embed, upcycle, finetune, extend, baselines, evaluate, report) share: their
// defining settings, data loading, training a model for a budget with its loss curve, and writing each unit of
// output (a model, a file) complete or not at all: into "<name>.partial", moved into place when whole. A rerun
// skips the units already in place, so a killed stage continues with the first unfinished unit and, training
// being seeded, ends with the same results as an uninterrupted run.
using System.Text.Json.Nodes;
using PluginMoE.Abstractions.Checkpoints;
using PluginMoE.Core.Checkpoints;
using PluginMoE.Core.Data;
using PluginMoE.Core.Model;
using PluginMoE.Core.Training;
using PluginMoE.Core.Composition;
using PluginMoE.Core.Recipe.Settings;
using PluginMoE.Core.Recipe.Services;
using PluginMoE.Core.Recipe.Runs;

namespace PluginMoE.Core.Recipe.Stages;

/// <summary>Base of the recipe's stages.</summary>
public abstract class RecipeStage : IStage
{
    /// <summary>Folder of a saved model inside a unit's folder.</summary>
    public const string ModelFolder = "model";

    /// <inheritdoc/>
    public abstract string Name { get; }

    /// <inheritdoc/>
    public IReadOnlyList<string> DefiningSettings { get; } = ["Run:Seed", "Model", "Data", "Training", "Recipe"];

    /// <summary>
    /// True for the stages whose output depends on the extension (<c>Recipe:Extend</c>: extend, evaluate, report). The
    /// others train on the data without the held-out domain, so their fingerprint leaves the extension settings out, and
    /// the held-out domain's entry of <c>Data:LoaderOptions:Domains</c> with them: a run folder made before the profile
    /// gained an extension continues with its seed, experts and variants. For the stages that use it, that entry is
    /// recorded as <c>Recipe:Extend:Data:...</c>, so every extension setting shares one prefix (<see cref="IsExtensionChange"/>).
    /// </summary>
    protected virtual bool UsesExtension => false;

    /// <inheritdoc/>
    public StageSettings Fingerprint(JsonObject resolved)
    {
        // A training stage records the settings it trains with: Training with its own section applied (StageTraining);
        // the sections stay recorded under Recipe as well, as every other Recipe key is.
        var all = StageSettings.From(StageTraining.ResolvedFor(resolved, Name), DefiningSettings);
        if (!all.Values.TryGetValue("Recipe:Extend:Domain", out var domainJson)) return all;
        string data = $"Data:LoaderOptions:Domains:{JsonNode.Parse(domainJson)?.GetValue<string>()}";
        bool IsData(string k) => k == data || k.StartsWith(data + ":", StringComparison.Ordinal);
        if (UsesExtension) return all.Rekeyed(k => IsData(k) ? "Recipe:Extend:Data" + k[data.Length..] : k);
        // Without a named entry (e.g. a JSONL corpus with a domain field) the held-out domain itself stays defining.
        bool named = all.Values.Keys.Any(IsData);
        return all.Rekeyed(k => IsData(k) || (k.StartsWith("Recipe:Extend:", StringComparison.Ordinal) && (named || k != "Recipe:Extend:Domain")) ? null : k);
    }

    /// <summary>
    /// True when <paramref name="change"/> only adds or changes the extension (a <c>Recipe:Extend:</c> key, the held-out
    /// domain included when it is first set), which stages that merely collect its results can take in by running again.
    /// </summary>
    protected static bool IsExtensionChange(SettingChange change)
    {
        ArgumentNullException.ThrowIfNull(change);
        return change.Key.StartsWith("Recipe:Extend:", StringComparison.Ordinal) && (change.Key != "Recipe:Extend:Domain" || change.Stored is null);
    }

    /// <inheritdoc/>
    public IReadOnlyList<string> ResumableSettings { get; } = [];

    /// <inheritdoc/>
    public virtual ResumeVerdict OnResume(SettingChange change) => ResumeVerdict.Refuse("it shapes the recipe's models; start a new run folder or --restart the stage");

    /// <inheritdoc/>
    public virtual IReadOnlyDictionary<string, object?> Validate(ProfileSettings settings, IPluginProvider plugins, List<string> errors) =>
        PluginSelection.Resolve(settings, plugins, errors)?.BoundOptions ?? new Dictionary<string, object?>();

    /// <inheritdoc/>
    public abstract void Run(StageContext context, CancellationToken cancellationToken);

    /// <summary>
    /// The data of the profile (loaded, split and tokenized; deterministic for a seed): loaded once
    /// per invocation and shared by its stages and seeds (<see cref="StageContext.Shared"/>); without the extension's
    /// new domain (<c>Recipe:Extend:Domain</c>) unless <paramref name="includeNewDomain"/>.
    /// </summary>
    protected static TrainingData LoadData(StageContext context, CancellationToken cancellationToken, bool includeNewDomain = false)
    {
        ArgumentNullException.ThrowIfNull(context);
        var settings = context.Settings;
        // The seed and the run folder are part of the key: label noise and clustering are seeded, clusters.json lives in the run folder.
        string key = "data\n" + settings.BaseDirectory + "\n" + context.Run.Path + "\n" + settings.Run.Seed + "\n" + settings.Training.SequenceLength + "\n" + System.Text.Json.JsonSerializer.Serialize(settings.Data);
        if (!context.Shared.TryGetValue(key, out var loaded))
        {
            loaded = TrainingData.Load(settings, PluginSelection.Resolve(settings, context.Plugins), context.Progress, cancellationToken, context.Run.Path);
            context.Shared[key] = loaded;
        }
        return HeldOutDomain.Apply((TrainingData)loaded, settings.Recipe.Extend?.Domain, includeNewDomain);
    }

    /// <summary>Folder of another stage's output, which must be complete.</summary>
    /// <exception cref="ConfigurationException">That stage has not completed in this run folder.</exception>
    protected string Input(StageContext context, string stage)
    {
        ArgumentNullException.ThrowIfNull(context);
        string dir = Path.Combine(context.Run.Path, stage);
        if (!context.Run.IsComplete(stage))
            throw new ConfigurationException($"stage '{Name}' needs the output of stage '{stage}', which is not complete in {context.Run.Path}; " +
                (stage == BranchStage.StageName ? BranchStage.Missing(context, Name) : $"run it first (--stages {stage},{Name})"));
        return dir;
    }

    /// <summary>Loads the model saved in a unit folder.</summary>
    protected static TransformerLM LoadModel(StageContext context, string unit) =>
        TransformerLM.FromCheckpoint(CheckpointStore.Load(Path.Combine(unit, ModelFolder)), context.Plugins.Catalog);

    /// <summary>
    /// Produces the unit <paramref name="target"/> unless it is already in place: <paramref name="write"/> fills a fresh
    /// "<paramref name="target"/>.partial" folder, which is then moved to <paramref name="target"/>. Returns whether it ran.
    /// </summary>
    protected static bool Unit(string target, Action<string> write)
    {
        ArgumentNullException.ThrowIfNull(write);
        if (Directory.Exists(target)) return false;
        string partial = target + ".partial";
        if (Directory.Exists(partial)) Directory.Delete(partial, recursive: true);
        Directory.CreateDirectory(partial);
        write(partial);
        Directory.Move(partial, target);
        return true;
    }

    /// <summary>Saves <paramref name="model"/> (and the data's tokenizer) into <paramref name="unit"/>/model.</summary>
    protected static void SaveModel(string unit, TransformerLM model, TrainingData data)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(data);
        string path = Path.Combine(unit, ModelFolder);
        CheckpointStore.Save(path, model.ToCheckpoint());
        Core.Text.CheckpointTokenizer.Save(path, data.Tokenizer);
    }

    /// <summary>Saves a merged checkpoint into <paramref name="unit"/>/model.</summary>
    protected static void SaveCheckpoint(string unit, ModelCheckpoint checkpoint, TrainingData? data)
    {
        string path = Path.Combine(unit, ModelFolder);
        CheckpointStore.Save(path, checkpoint);
        if (data is not null) Core.Text.CheckpointTokenizer.Save(path, data.Tokenizer);
    }

    /// <summary>
    /// Trains <paramref name="model"/> for <paramref name="steps"/> on <paramref name="corpus"/>, sampling domains by
    /// <paramref name="domainWeights"/> (null: by their token counts); the loss curve is saved into <paramref name="unit"/>.
    /// The trainer's settings are this stage's (and <paramref name="variant"/>'s) effective ones (<see cref="StageTraining.For"/>).
    /// With their EvalEvery above 0 and a <paramref name="validation"/> set, the trainer evaluates at its evaluation points
    /// (every EvalEvery steps and after the last), the curve keeps those validation losses, and the evaluation after the
    /// last step is kept in <paramref name="unit"/> (<see cref="FinalEvaluation"/>) for the evaluate stage to reuse.
    /// </summary>
    protected void Train(StageContext context, string what, TransformerLM model, TokenCorpus corpus, long steps, string unit, CancellationToken cancellationToken,
        IReadOnlyDictionary<string, double>? domainWeights = null, ValidationSet? validation = null, string? variant = null)
    {
        ArgumentNullException.ThrowIfNull(context);
        var settings = context.Settings;
        // The stage's training settings with its budget: warmup follows it (TrainerOptions.EffectiveWarmupSteps).
        var options = StageTraining.For(settings, Name, variant) with
        {
            Steps = steps,
            Seed = settings.Run.Seed,
            DomainWeights = domainWeights,
        };
        Notice(context, StageTraining.WarmupNotice(settings, Name, variant, options));
        var curve = new LossCurve();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        if (steps > 0)
        {
            var evaluated = options.EvalEvery > 0 ? validation : null;
            var timed = new FinalEvaluation.Clock(curve);
            var trainer = new Trainer(model, corpus, options, evaluated, timed);
            try { trainer.Train(steps, cancellationToken); }
            catch (OperationCanceledException e) { throw new RunCancelledException(Name, trainer.Step, null, e) { Unit = what }; }
            // A diverged run names the stage and the unit (the variant or model) it was training; finished units stay in place.
            catch (TrainingDivergedException e) { throw new TrainingDivergedException($"stage '{Name}': {what}: {e.Message}", e.Step, e.LastFiniteLoss); }
            if (evaluated is not null && trainer.LastEvaluation is { } final && trainer.LastEvaluationStep == steps)
                FinalEvaluation.Save(unit, final, evaluated, options.EvalBatchSize, steps, timed.LastEvaluationSeconds);
        }
        curve.Save(unit);
        double last = curve.Points.Count == 0 ? double.NaN : curve.Points.Skip(Math.Max(0, curve.Points.Count - 10)).Average(p => p.Loss);
        context.Progress.Info(FormattableString.Invariant($"{Name}: {what}: {steps} steps in {clock.Elapsed.TotalSeconds:F1} s, final training loss {last:F4}"));
    }

    /// <summary>Prints <paramref name="notice"/> (when not null) once per invocation, however many units or seeds meet it.</summary>
    internal static void Notice(StageContext context, string? notice)
    {
        if (notice is null || !context.Shared.TryAdd("notice\n" + notice, notice)) return;
        context.Progress.Info($"notice: {notice}");
    }

    /// <summary>The corpus of a single domain.</summary>
    protected static TokenCorpus OneDomain(TokenCorpus corpus, string domain)
    {
        ArgumentNullException.ThrowIfNull(corpus);
        return TokenCorpus.FromStreams(new Dictionary<string, int[]>(StringComparer.Ordinal) { [domain] = corpus[domain].ToArray() });
    }
}
