// Runs a command's body and turns exceptions into exit codes and one-paragraph messages on stderr
// (2: usage or configuration, 1: run failure, 130: cancelled or Ctrl+C, 143: SIGTERM); --verbose adds the stack trace.
using PluginMoE.Core.Composition;

namespace PluginMoE.Host.Cli;

/// <summary>Error handling shared by every command.</summary>
public static class CommandAction
{
    /// <summary>Runs <paramref name="body"/>; returns its exit code or the code of the error it threw.</summary>
    public static int Execute(CliEnvironment env, bool verbose, Func<int> body)
    {
        ArgumentNullException.ThrowIfNull(env);
        ArgumentNullException.ThrowIfNull(body);
        try
        {
            return body();
        }
        catch (ConfigurationException e)
        {
            Report(env, verbose, "error", e);
            return ExitCodes.UsageError;
        }
        catch (OperationCanceledException e)
        {
            var signal = env.Stop.Received;
            Report(env, verbose, signal is { } s ? $"stopped by {s}" : "cancelled", e);
            return signal == System.Runtime.InteropServices.PosixSignal.SIGTERM ? ExitCodes.Terminated : ExitCodes.Interrupted;
        }
        catch (Exception e)
        {
            Report(env, verbose, "run failed", e);
            return ExitCodes.RunFailure;
        }
    }

    /// <summary>
    /// A message as one paragraph: the lines of a list of problems are joined with "; ", except after a line that
    /// introduces the list (ending in ':'), which is followed by a space.
    /// </summary>
    internal static string OneParagraph(string message)
    {
        var lines = message.Split('\n', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        var text = new System.Text.StringBuilder();
        for (int i = 0; i < lines.Length; i++)
        {
            if (i > 0) text.Append(lines[i - 1].EndsWith(':') ? " " : "; ");
            text.Append(lines[i]);
        }
        return text.ToString();
    }

    private static void Report(CliEnvironment env, bool verbose, string what, Exception e)
    {
        string message = OneParagraph(e.Message);
        env.Error.WriteLine($"pluginmoe: {what}: {message}");
        if (verbose) env.Error.WriteLine(e.ToString());
        else if (e is not (ConfigurationException or OperationCanceledException)) env.Error.WriteLine("(run with --verbose for the stack trace)");
    }
}
