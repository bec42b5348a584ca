// What a stage is given: the validated settings, the run folder, the plugins, the console, the checkpoint to
// resume from when the user chose one, and the run's summary that the stage adds its lines to.

using PluginMoE.Core.Recipe.Settings;
using PluginMoE.Core.Recipe.Services;
using PluginMoE.Core.Recipe.Runs;
namespace PluginMoE.Core.Recipe.Stages;

/// <summary>Everything a stage needs from the host.</summary>
/// <param name="Settings">The validated settings.</param>
/// <param name="Run">The run folder.</param>
/// <param name="Plugins">Discovered plugins.</param>
/// <param name="Progress">Progress bars or lines.</param>
public sealed record StageContext(ProfileSettings Settings, RunFolder Run, IPluginProvider Plugins, IProgressReporter Progress)
{
    /// <summary>Checkpoint name (<c>step-00000150</c>) each stage resumes from instead of its latest, by stage name (<c>--resume-from</c>).</summary>
    public IReadOnlyDictionary<string, string> ResumeFrom { get; init; } = new Dictionary<string, string>();

    /// <summary>
    /// What the stages of one invocation share (by key), such as the recipe's data, which every stage and every seed
    /// reads the same: loaded by the first stage that needs it, reused by the others.
    /// </summary>
    public Dictionary<string, object> Shared { get; init; } = new(StringComparer.Ordinal);

    /// <summary>How the branch stage runs its experts (<c>--domain</c>, <c>--parallel</c>).</summary>
    public BranchJobs Branch { get; init; } = new();

    /// <summary>Lines printed at the end of the run (throughput, final metrics).</summary>
    public List<string> Summary { get; } = [];
}
