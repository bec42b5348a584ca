// How an invocation runs the branch stage's experts: all of them in this process (the default), only those of
// `--domain` (a per-domain job, e.g. one task of a cluster array), or as `--parallel N` child processes of the same
// CLI, each a per-domain job. The host fills it in from the command line and provides the child processes.

namespace PluginMoE.Core.Recipe.Stages;

/// <summary>The branch stage's job settings of one invocation.</summary>
public sealed record BranchJobs
{
    /// <summary>The domains this job trains (<c>--domain</c>); empty: every domain of the data.</summary>
    public IReadOnlyList<string> Domains { get; init; } = [];

    /// <summary>How many child processes train experts at once (<c>--parallel</c>); 1 trains them in this process.</summary>
    public int Parallel { get; init; } = 1;

    /// <summary>Runs per-domain jobs as child processes of the host's command line (<c>--parallel</c>); null: this host cannot.</summary>
    public IBranchJobRunner? Children { get; init; }

    /// <summary>This invocation's command line (recorded as the holder of the domain locks it takes).</summary>
    public string Command { get; init; } = "pluginmoe run";

    /// <summary>The shell command that trains one domain's expert in this run folder (for messages).</summary>
    public Func<string, string> CommandFor { get; init; } = domain => $"pluginmoe run --stages branch --domain {domain}";
}
