// A command stopped by a signal: the exit code says which (130 for Ctrl+C or an in-process cancellation, 143 for
// SIGTERM) and the message is one line without the stack-trace hint.
using System.Runtime.InteropServices;
using PluginMoE.Host.Cli;

namespace PluginMoE.Host.Tests.Cli;

public sealed class StopSignalExitCodeTests
{
    private static (int Code, string Error) Cancelled(PosixSignal? signal)
    {
        var error = new StringWriter();
        var env = new CliEnvironment { Out = TextWriter.Null, Error = error };
        env.Stop.Received = signal;
        int code = CommandAction.Execute(env, verbose: false, () => throw new OperationCanceledException("The operation was canceled."));
        return (code, error.ToString());
    }

    [Fact]
    public void Sigterm_Exits143_WithOneLine()
    {
        var (code, error) = Cancelled(PosixSignal.SIGTERM);
        Assert.Equal(ExitCodes.Terminated, code);
        Assert.Equal($"pluginmoe: stopped by SIGTERM: The operation was canceled.{Environment.NewLine}", error);
    }

    [Fact]
    public void SigintOrInProcessCancellation_Exits130()
    {
        Assert.Equal((ExitCodes.Interrupted, $"pluginmoe: stopped by SIGINT: The operation was canceled.{Environment.NewLine}"), Cancelled(PosixSignal.SIGINT));
        Assert.Equal((ExitCodes.Interrupted, $"pluginmoe: cancelled: The operation was canceled.{Environment.NewLine}"), Cancelled(null));
    }
}
