// Recipe stage "report": report.md with the comparison tables, parameter table, embedding cosine matrix and the
// SVG plots (Core's RecipeReport), from evaluate/results.json and the training curves of finetune and baselines.
// A run over several seeds also gets the report across them (mean ± standard deviation, the extension section
// included) in its own report/ folder.
using PluginMoE.Core.Recipe.Runs;

namespace PluginMoE.Core.Recipe.Stages;

/// <summary>Writes report/report.md and its SVG plots.</summary>
public sealed class ReportStage : RecipeStage
{
    /// <inheritdoc/>
    public override string Name => "report";

    /// <inheritdoc/>
    protected override bool UsesExtension => true;

    /// <inheritdoc/>
    public override ResumeVerdict OnResume(SettingChange change) =>
        IsExtensionChange(change) ? new ResumeVerdict(true, "the report is written again with the extension", Reopens: true) : base.OnResume(change);

    /// <inheritdoc/>
    public override void Run(StageContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        string evaluated = Input(context, "evaluate");
        var results = RecipeResults.Load(evaluated);
        string output = context.Run.Stage(Name);
        string title = $"PluginMoE recipe: {context.Settings.ProfileName}";
        var files = RecipeReport.Write(output, title, [new SeedResults(context.Settings.Run.Seed, results, LossCurves(context.Run))]);
        if (ExtensionResults.Load(evaluated) is { } extension) files = [.. files, .. ExtensionReport.AppendTo(output, extension)];
        context.Progress.Info($"report: {Path.Combine(output, RecipeReport.FileName)} ({files.Count} files)");
        context.Summary.Add($"report: {Path.Combine(output, RecipeReport.FileName)}");
    }

    /// <summary>
    /// Writes the report across <paramref name="seeds"/> (each a complete run folder of one seed) into
    /// <paramref name="run"/>/report, built in report.partial and moved into place when whole, then marked complete.
    /// Returns the report's path.
    /// </summary>
    /// <exception cref="FileNotFoundException">A seed's evaluate stage has not written its results.</exception>
    public static string WriteAcrossSeeds(RunFolder run, IReadOnlyList<(long Seed, RunFolder Run)> seeds, string title)
    {
        ArgumentNullException.ThrowIfNull(run);
        ArgumentNullException.ThrowIfNull(seeds);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var inputs = seeds.Select(s => new SeedResults(s.Seed, RecipeResults.Load(Path.Combine(s.Run.Path, "evaluate")), LossCurves(s.Run))).ToList();
        string target = Path.Combine(run.Path, "report");
        if (Directory.Exists(target)) Directory.Delete(target, recursive: true);
        // The extension across the seeds that measured it (a seed run before the profile had the extension has none).
        var extensions = seeds.Select(s => (s.Seed, Results: ExtensionResults.Load(Path.Combine(s.Run.Path, "evaluate"))))
            .Where(s => s.Results is not null).Select(s => (s.Seed, s.Results!)).ToList();
        Unit(target, partial =>
        {
            RecipeReport.Write(partial, title, inputs);
            if (extensions.Count > 0) ExtensionReport.AppendTo(partial, extensions);
        });
        run.MarkComplete("report", clock.Elapsed);
        return Path.Combine(target, RecipeReport.FileName);
    }

    // The training curves of the finetuned models and the baselines of one run folder, by model name.
    private static Dictionary<string, LossCurve> LossCurves(RunFolder run)
    {
        var curves = new Dictionary<string, LossCurve>(StringComparer.Ordinal);
        foreach (var stage in new[] { "finetune", "baselines" })
        {
            string dir = Path.Combine(run.Path, stage);
            if (!run.IsComplete(stage)) continue;
            foreach (var unit in Directory.GetDirectories(dir).Where(d => !d.EndsWith(".partial", StringComparison.Ordinal)))
                if (LossCurve.Load(unit) is { } c) curves[Path.GetFileName(unit)] = c;
        }
        return curves;
    }
}
