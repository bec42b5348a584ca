// Recipe stage "report": report.md with the comparison tables, parameter table, embedding cosine matrix and the
// SVG plots (Core's RecipeReport), from evaluate/results.json and the training curves of finetune and baselines.
using PluginMoE.Core.Recipe;

namespace PluginMoE.Host.Stages;

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
        var curves = new Dictionary<string, LossCurve>(StringComparer.Ordinal);
        foreach (var stage in new[] { "finetune", "baselines" })
        {
            string dir = Path.Combine(context.Run.Path, stage);
            if (!context.Run.IsComplete(stage)) continue;
            foreach (var unit in Directory.GetDirectories(dir).Where(d => !d.EndsWith(".partial", StringComparison.Ordinal)))
                if (LossCurve.Load(unit) is { } c) curves[Path.GetFileName(unit)] = c;
        }
        string output = context.Run.Stage(Name);
        var files = RecipeReport.Write(output, $"PluginMoE recipe: {context.Settings.ProfileName}", results, curves);
        if (ExtensionResults.Load(evaluated) is { } extension) files = [.. files, .. ExtensionReport.AppendTo(output, extension)];
        context.Progress.Info($"report: {Path.Combine(output, RecipeReport.FileName)} ({files.Count} files)");
        context.Summary.Add($"report: {Path.Combine(output, RecipeReport.FileName)}");
    }
}
