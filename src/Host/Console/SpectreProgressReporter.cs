// Progress bars on a terminal (Spectre.Console): description, bar, percentage, remaining time and a status
// column for loss and throughput.
using PluginMoE.Core.Recipe.Services;
using Spectre.Console;

namespace PluginMoE.Host.Console;

/// <summary>Shows progress bars with Spectre.Console.</summary>
public sealed class SpectreProgressReporter(IAnsiConsole console) : IProgressReporter
{
    /// <inheritdoc/>
    public T Run<T>(string title, long total, Func<IProgressTask, T> work)
    {
        ArgumentNullException.ThrowIfNull(work);
        return console.Progress()
            .AutoClear(false)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn(), new SpinnerColumn())
            .Start(ctx =>
            {
                var task = ctx.AddTask(Markup.Escape(title), maxValue: Math.Max(1, total));
                if (total <= 0) task.IsIndeterminate = true;
                var result = work(new Task(task, title));
                task.Value = task.MaxValue;
                task.StopTask();
                return result;
            });
    }

    /// <inheritdoc/>
    public void Info(string message) => console.MarkupLine(Markup.Escape(message));

    private sealed class Task(ProgressTask task, string title) : IProgressTask
    {
        public void Report(long value, string status)
        {
            task.Value = Math.Min(value, task.MaxValue);
            task.Description = Markup.Escape($"{title}  {status}");
        }
    }
}
