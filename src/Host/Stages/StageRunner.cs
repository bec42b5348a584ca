// Runs a profile's stages in order, each in a telemetry span; a stage whose completion marker exists is
// skipped, so re-running on the same run folder resumes where the last run stopped.
using System.Diagnostics;
using PluginMoE.Core.Composition;
using PluginMoE.Host.Configuration;
using PluginMoE.Host.Telemetry;

namespace PluginMoE.Host.Stages;

/// <summary>Validates and runs stages.</summary>
public sealed class StageRunner(IReadOnlyList<IStage> stages)
{
    /// <summary>The stages this host provides.</summary>
    public static StageRunner Default { get; } = new([new TrainStage()]);

    /// <summary>Names of the known stages.</summary>
    public IReadOnlyList<string> Names => [.. stages.Select(s => s.Name)];

    /// <summary>The stages named by <paramref name="names"/>, in that order.</summary>
    /// <exception cref="ConfigurationException">An unknown stage name (the message lists the known ones).</exception>
    public IReadOnlyList<IStage> Resolve(IReadOnlyList<string> names)
    {
        ArgumentNullException.ThrowIfNull(names);
        return [.. names.Select(n => stages.FirstOrDefault(s => string.Equals(s.Name, n, StringComparison.OrdinalIgnoreCase))
            ?? throw new ConfigurationException($"Run:Stages: unknown stage '{n}'; known stages: {string.Join(", ", Names)}{NameSuggestions.Hint(n, Names)}"))];
    }

    /// <summary>Runs <paramref name="selected"/> in order; returns the names of the stages that were skipped as already complete.</summary>
    public static IReadOnlyList<string> Run(IReadOnlyList<IStage> selected, StageContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(selected);
        ArgumentNullException.ThrowIfNull(context);
        var skipped = new List<string>();
        foreach (var stage in selected)
        {
            if (context.Run.IsComplete(stage.Name))
            {
                context.Progress.Info($"stage '{stage.Name}' is already complete in {context.Run.Path}; skipped (delete {Path.Combine(stage.Name, RunFolder.CompletedFile)} to run it again)");
                skipped.Add(stage.Name);
                continue;
            }
            using var span = PluginMoeTelemetry.Source.StartActivity("stage");
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
            context.Run.MarkComplete(stage.Name, clock.Elapsed);
        }
        return skipped;
    }
}
