// A stage of the recipe (train now; seed, branch, upcycle, ... later): checked before anything runs, then run
// into its own folder of the run.
namespace PluginMoE.Host.Stages;

/// <summary>One step of a profile's recipe.</summary>
public interface IStage
{
    /// <summary>The name profiles list in <c>Run:Stages</c>.</summary>
    string Name { get; }

    /// <summary>
    /// Checks that the settings and the plugins this stage needs are usable, before any stage runs; returns the
    /// bound plugin options by key path (recorded in config.resolved.json).
    /// </summary>
    /// <exception cref="Configuration.ConfigurationException">Something in the profile is wrong; the message says what and where.</exception>
    IReadOnlyDictionary<string, object?> Validate(Configuration.HostSettings settings, IPluginProvider plugins);

    /// <summary>Runs the stage into <c>context.Run.Stage(Name)</c>, resuming any partial work found there.</summary>
    void Run(StageContext context, CancellationToken cancellationToken);
}
