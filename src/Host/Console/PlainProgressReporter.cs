// Progress as plain lines (CI logs, redirected output): a line when a task starts, at most one every
// interval while it runs, and one when it ends.
using System.Diagnostics;
using PluginMoE.Core.Recipe.Services;

namespace PluginMoE.Host.Console;

/// <summary>Writes progress as readable lines.</summary>
/// <param name="output">Where lines go.</param>
/// <param name="interval">Least time between two progress lines of a task (the last one is always written).</param>
public sealed class PlainProgressReporter(TextWriter output, TimeSpan interval) : IProgressReporter
{
    /// <inheritdoc/>
    public T Run<T>(string title, long total, Func<IProgressTask, T> work)
    {
        ArgumentNullException.ThrowIfNull(work);
        output.WriteLine($"{title}: started");
        var task = new Task(output, title, total, interval);
        var result = work(task);
        task.Finish();
        return result;
    }

    /// <inheritdoc/>
    public void Info(string message) => output.WriteLine(message);

    private sealed class Task(TextWriter output, string title, long total, TimeSpan interval) : IProgressTask
    {
        private readonly Stopwatch _clock = Stopwatch.StartNew();
        private TimeSpan? _lastLine;
        private string? _pending;

        public void Report(long value, string status)
        {
            // With no known total the status carries the count itself ("12 documents, 40 KiB"); a bare value only when there is no status.
            _pending = (total > 0, string.IsNullOrWhiteSpace(status)) switch
            {
                (true, false) => $"{title}: {value}/{total}  {status}",
                (true, true) => $"{title}: {value}/{total}",
                (false, false) => $"{title}: {status}",
                (false, true) => $"{title}: {value}",
            };
            if (_lastLine is { } last && _clock.Elapsed - last < interval && value != total) return;
            Flush();
        }

        public void Finish()
        {
            Flush();
            output.WriteLine($"{title}: done in {_clock.Elapsed:hh\\:mm\\:ss}");
        }

        private void Flush()
        {
            if (_pending is null) return;
            output.WriteLine(_pending);
            _pending = null;
            _lastLine = _clock.Elapsed;
        }
    }
}
