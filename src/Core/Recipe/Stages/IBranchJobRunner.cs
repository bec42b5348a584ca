// The branch stage's `--parallel` jobs: experts trained by per-domain jobs that run beside this one. Starting them
// needs the host's own command line (a child process of the same CLI), so the host implements it.
namespace PluginMoE.Core.Recipe.Stages;

/// <summary>Runs per-domain branch jobs (<c>--stages branch --domain d</c>) outside this process and waits for them.</summary>
public interface IBranchJobRunner
{
    /// <summary>
    /// Trains <paramref name="domains"/>' experts into <c>context.Run</c>, at most <c>context.Branch.Parallel</c> at once,
    /// and returns when every job has ended.
    /// </summary>
    /// <exception cref="InvalidOperationException">Jobs failed; the message names each and where its output is.</exception>
    /// <exception cref="OperationCanceledException">Cancelled; running jobs were stopped.</exception>
    void Run(StageContext context, IReadOnlyList<string> domains, CancellationToken cancellationToken);
}
