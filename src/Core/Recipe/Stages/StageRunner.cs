// Plans and runs a profile's stages in order, each in a telemetry span. Planning compares each stage's defining
// settings with those recorded in its folder: a completed stage with the same settings is skipped, an
// interrupted one resumes, and a change the stage cannot apply on resume refuses the whole invocation (listing
// every differing key) unless the stage is started afresh with --restart. Jobs may share a run folder (per-domain
// branch jobs): a stage's settings record is compared and written under the folder's bookkeeping lock, and a stage
// made in parts (IPartialStage) is marked complete only when it says every part is in place.
using System.Diagnostics;
using System.Text.Json.Nodes;
using PluginMoE.Core.Composition;
using PluginMoE.Core.Recipe.Services;
using PluginMoE.Core.Recipe.Runs;

namespace PluginMoE.Core.Recipe.Stages;

/// <summary>What an invocation does with a stage.</summary>
public enum StageAction
{
    /// <summary>Run it: from scratch when its folder is empty, else resume from its latest checkpoint.</summary>
    Run,

    /// <summary>It is complete with the same settings: nothing to do.</summary>
    Skip,

    /// <summary>It was complete, and a setting change (e.g. more steps) or <c>--resume-from</c> makes it run on.</summary>
    Reopen,

    /// <summary><c>--restart</c>: its folder is deleted and it runs from scratch.</summary>
    Restart,
}

/// <summary>One stage of an invocation's plan.</summary>
/// <param name="Stage">The stage.</param>
/// <param name="Action">What happens to it.</param>
/// <param name="Settings">Its defining settings now (recorded when it runs).</param>
/// <param name="Notes">Settings that changed and what that does, one line each.</param>
public sealed record StagePlan(IStage Stage, StageAction Action, StageSettings Settings, IReadOnlyList<string> Notes);

/// <summary>Validates, plans and runs stages.</summary>
public sealed class StageRunner(IReadOnlyList<IStage> stages)
{
    /// <summary>The stages this host provides.</summary>
    public static StageRunner Default { get; } = new([new TrainStage(), new SeedStage(), new BranchStage(), new EmbedStage(), new UpcycleStage(), new FinetuneStage(), new ExtendStage(), new BaselinesStage(), new EvaluateStage(), new ReportStage()]);

    /// <summary>Names of the known stages.</summary>
    public IReadOnlyList<string> Names => [.. stages.Select(s => s.Name)];

    /// <summary>The stages named by <paramref name="names"/>, in that order.</summary>
    /// <exception cref="ConfigurationException">An unknown stage name (the message lists the known ones).</exception>
    public IReadOnlyList<IStage> Resolve(IReadOnlyList<string> names)
    {
        var errors = new List<string>();
        var selected = Resolve(names, errors, "Run:Stages");
        return errors.Count == 0 ? selected : throw new ConfigurationException(string.Join("; ", errors));
    }

    /// <summary>The known stages among <paramref name="names"/>; each unknown one adds an error naming <paramref name="key"/>.</summary>
    public IReadOnlyList<IStage> Resolve(IReadOnlyList<string> names, List<string> errors, string key)
    {
        ArgumentNullException.ThrowIfNull(names);
        ArgumentNullException.ThrowIfNull(errors);
        var selected = new List<IStage>();
        foreach (var n in names)
        {
            var stage = stages.FirstOrDefault(s => string.Equals(s.Name, n, StringComparison.OrdinalIgnoreCase));
            if (stage is null) errors.Add($"{key}: unknown stage '{n}'; known stages: {string.Join(", ", Names)}{NameSuggestions.Hint(n, Names)}");
            else selected.Add(stage);
        }
        return selected;
    }

    /// <summary>
    /// Decides what happens to each selected stage, comparing its defining settings (from <paramref name="resolved"/>,
    /// the config.resolved.json object) with those recorded in <paramref name="run"/>.
    /// </summary>
    /// <exception cref="ConfigurationException">Stages whose recorded settings differ in keys they cannot change on resume; the message lists every such key with its stored and new value.</exception>
    public static IReadOnlyList<StagePlan> Plan(IReadOnlyList<IStage> selected, RunFolder run, JsonObject resolved,
        IReadOnlyCollection<string> restart, IReadOnlyDictionary<string, string> resumeFrom)
    {
        ArgumentNullException.ThrowIfNull(selected);
        ArgumentNullException.ThrowIfNull(run);
        ArgumentNullException.ThrowIfNull(restart);
        ArgumentNullException.ThrowIfNull(resumeFrom);
        var plans = new List<StagePlan>();
        var errors = new List<string>();
        foreach (var stage in selected)
        {
            var current = stage.Fingerprint(resolved);
            if (restart.Contains(stage.Name, StringComparer.OrdinalIgnoreCase))
            {
                plans.Add(new StagePlan(stage, StageAction.Restart, current, []));
                continue;
            }
            bool complete = run.IsComplete(stage.Name);
            StageSettings? stored;
            try { stored = StageSettings.Read(Path.Combine(run.Path, stage.Name)); }
            catch (InvalidDataException e)
            {
                errors.Add($"stage '{stage.Name}': {e.Message}");
                continue;
            }
            var changes = stored is null ? [] : current.ChangesFrom(stored);
            var verdicts = changes.Select(c => (Change: c, Verdict: stage.OnResume(c))).ToList();
            var refused = verdicts.Where(v => !v.Verdict.Allowed).ToList();
            if (refused.Count > 0)
            {
                errors.Add(
                    $"stage '{stage.Name}' in {run.Path} was {(complete ? "completed" : "started")} with other settings, which it cannot change on resume: " +
                    string.Join("; ", refused.Select(r => $"{r.Change} ({r.Verdict.Note})")) +
                    $". Settings that may change on resume: {string.Join(", ", stage.ResumableSettings)}. " +
                    $"Run with the stored values to {(complete ? "keep the stage" : "resume it")}, add --restart {stage.Name} to start it afresh with the new settings, or pass another --run-dir");
                continue;
            }
            var notes = verdicts.Select(v => $"{stage.Name}: {v.Change}: {v.Verdict.Note}").ToList();
            var action = !complete ? StageAction.Run
                : resumeFrom.ContainsKey(stage.Name) || verdicts.Any(v => v.Verdict.Reopens) ? StageAction.Reopen
                : StageAction.Skip;
            if (action == StageAction.Skip && changes.Count > 0)
                notes = [.. changes.Select(c => $"{stage.Name}: {c}: not used, the stage is complete")];
            plans.Add(new StagePlan(stage, action, current, notes));
        }
        if (errors.Count > 0) throw new ConfigurationException(string.Join("\n", errors));
        return plans;
    }

    /// <summary>Runs <paramref name="plans"/> in order; returns the names of the stages that were skipped as already complete.</summary>
    public static IReadOnlyList<string> Run(IReadOnlyList<StagePlan> plans, StageContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(plans);
        ArgumentNullException.ThrowIfNull(context);
        var skipped = new List<string>();
        foreach (var (stage, action, settings, notes) in plans)
        {
            foreach (var note in notes) context.Progress.Info(note);
            string dir = Path.Combine(context.Run.Path, stage.Name);
            switch (action)
            {
                case StageAction.Skip:
                    context.Progress.Info($"stage '{stage.Name}' is already complete in {context.Run.Path}; skipped (add --restart {stage.Name} to run it again from scratch)");
                    skipped.Add(stage.Name);
                    continue;
                case StageAction.Restart when Directory.Exists(dir):
                    context.Progress.Info($"stage '{stage.Name}': --restart: deleting its previous output in {dir}");
                    Directory.Delete(dir, recursive: true);
                    break;
                case StageAction.Reopen:
                    File.Delete(Path.Combine(dir, RunFolder.CompletedFile));
                    break;
            }
            WriteSettings(context.Run, stage, settings);
            using var span = RecipeTelemetry.Source.StartActivity("stage");
            span?.SetTag("stage", stage.Name);
            span?.SetTag("run_dir", context.Run.Path);
            var clock = Stopwatch.StartNew();
            try
            {
                stage.Run(context, cancellationToken);
            }
            catch (Exception e)
            {
                span?.SetStatus(ActivityStatusCode.Error, e.Message);
                throw;
            }
            if (stage is IPartialStage partial && partial.Incomplete(context) is { } missing)
                context.Progress.Info($"stage '{stage.Name}' is not complete yet: {missing}");
            else
                context.Run.MarkComplete(stage.Name, clock.Elapsed);
        }
        return skipped;
    }

    // Records the stage's settings unless another job, since this one planned, started the stage with settings it cannot take.
    private static void WriteSettings(RunFolder run, IStage stage, StageSettings settings) => run.Bookkeeping(() =>
    {
        string dir = run.Stage(stage.Name);
        var stored = StageSettings.Read(dir);
        var refused = stored is null ? [] : settings.ChangesFrom(stored).Where(c => !stage.OnResume(c).Allowed).ToList();
        if (refused.Count > 0)
            throw new ConfigurationException(
                $"stage '{stage.Name}' in {run.Path} was started by another job with other settings: {string.Join("; ", refused)}; " +
                "every job on a run folder must use the same settings");
        settings.Write(dir);
    });
}
