// A stage of the recipe (train now; seed, branch, upcycle, ... later): checked before anything runs, then run
// into its own folder of the run. A stage names the settings that define its output, so that a later
// invocation on the same run folder is refused when it would change them (except those the stage accepts).
using PluginMoE.Core.Recipe.Settings;
using PluginMoE.Core.Recipe.Services;
using PluginMoE.Core.Recipe.Runs;

namespace PluginMoE.Core.Recipe.Stages;

/// <summary>One step of a profile's recipe.</summary>
public interface IStage
{
    /// <summary>The name profiles list in <c>Run:Stages</c>.</summary>
    string Name { get; }

    /// <summary>
    /// Key paths of the settings that define this stage's output: whole sections (<c>Model</c>) or single settings
    /// (<c>Run:Seed</c>). They are recorded in the stage folder (<see cref="StageSettings.FileName"/>) when the stage starts.
    /// </summary>
    IReadOnlyList<string> DefiningSettings { get; }

    /// <summary>
    /// The values of the defining settings in <paramref name="resolved"/> (the config.resolved.json object) that this stage
    /// records and compares; by default every setting under <see cref="DefiningSettings"/>.
    /// </summary>
    StageSettings Fingerprint(System.Text.Json.Nodes.JsonObject resolved) => StageSettings.From(resolved, DefiningSettings);

    /// <summary>
    /// Checks that the settings and the plugins this stage needs are usable, before any stage runs; returns the
    /// bound plugin options by key path (recorded in config.resolved.json). Problems are appended to <paramref name="errors"/>.
    /// </summary>
    IReadOnlyDictionary<string, object?> Validate(ProfileSettings settings, IPluginProvider plugins, List<string> errors);

    /// <summary>The defining settings that may change on resume, with how (for messages), e.g. <c>Training:Steps (upwards)</c>.</summary>
    IReadOnlyList<string> ResumableSettings { get; }

    /// <summary>Whether the stage can resume (or, when complete, run on) with a defining setting changed.</summary>
    ResumeVerdict OnResume(SettingChange change);

    /// <summary>Runs the stage into <c>context.Run.Stage(Name)</c>, resuming any partial work found there.</summary>
    /// <exception cref="RunCancelledException">Cancelled; the work done so far is saved and the exception says up to where.</exception>
    void Run(StageContext context, CancellationToken cancellationToken);
}
