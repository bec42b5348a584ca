// Progress of long work (training steps, evaluation, data loading) as the console shows it: Spectre.Console
// bars on a terminal, plain lines otherwise.
namespace PluginMoE.Core.Recipe.Services;

/// <summary>Shows progress of long-running work.</summary>
public interface IProgressReporter
{
    /// <summary>Runs <paramref name="work"/> while showing a task of <paramref name="total"/> units (0 when unknown).</summary>
    T Run<T>(string title, long total, Func<IProgressTask, T> work);

    /// <summary>Writes an informational line (kept out of the way of running bars).</summary>
    void Info(string message);
}

/// <summary>One running task.</summary>
public interface IProgressTask
{
    /// <summary>
    /// Sets the task's position and a short status text (e.g. <c>loss 2.31  12k tok/s  ETA 0:42</c>). For a task without a
    /// known total the status should say what the position counts (<c>12 documents, 40 KiB</c>): it is shown instead of the bare number.
    /// </summary>
    void Report(long value, string status);
}
