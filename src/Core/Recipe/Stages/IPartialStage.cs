// A stage whose output is made in parts by jobs that may run separately (the branch stage: one expert per domain,
// trained by `--domain` jobs on a cluster): after a job has run it, the stage itself says whether every part is in
// place and verified; only then does the run folder mark it complete.
namespace PluginMoE.Core.Recipe.Stages;

/// <summary>A stage made in parts; <see cref="StageRunner"/> marks it complete only when <see cref="Incomplete"/> is null.</summary>
public interface IPartialStage : IStage
{
    /// <summary>Null when every part is present and verified; otherwise what is missing and the commands that make it.</summary>
    string? Incomplete(StageContext context);
}
