// The signal (SIGINT from Ctrl+C, or SIGTERM) that stopped an invocation, so the CLI can exit 130 or 143 as shells
// expect, and the one place the CLI listens for them: the first SIGINT or SIGTERM is recorded and cancels the
// command (which stops at its next safe point: a training step, a generated token, a request). A second Ctrl+C is
// left to its default action and ends the process at once; a repeated SIGTERM is absorbed (`dotnet run` forwards the
// SIGTERM it gets to this process, which gets its own copy too when the whole process group is signalled, and a
// supervisor that wants it gone sooner sends SIGKILL). System.CommandLine's own handling is switched off
// (PluginMoeCli): it returned a forced exit code two seconds after a signal while the command was still saving, and
// threw "An attempt was made to transition a task to a final state when it had already completed" from its signal
// handler when a second signal came (as `dotnet run` forwards a SIGTERM that the process group also received).
using System.Runtime.InteropServices;

namespace PluginMoE.Host;

/// <summary>The signal that stopped this invocation, if one did.</summary>
public sealed class StopSignal
{
    private int _received;

    /// <summary>SIGINT or SIGTERM once received; null otherwise.</summary>
    public PosixSignal? Received { get; set; }

    /// <summary>
    /// Listens for SIGINT and SIGTERM until disposed: the first is recorded in <see cref="Received"/> (unless one already
    /// is) and cancels <paramref name="cancellation"/>; a later SIGTERM is absorbed, a later SIGINT keeps its default
    /// action (the process ends).
    /// </summary>
    public IDisposable Listen(CancellationTokenSource cancellation)
    {
        ArgumentNullException.ThrowIfNull(cancellation);
        void Handle(PosixSignalContext context)
        {
            if (Interlocked.Exchange(ref _received, 1) != 0)
            {
                context.Cancel = context.Signal == PosixSignal.SIGTERM; // a second Ctrl+C: default action (the process ends)
                return;
            }
            Received ??= context.Signal;
            context.Cancel = true;
            // Off the signal thread: cancellation callbacks (the run's host stopping) must not run inside the handler.
            _ = Task.Run(() =>
            {
                try { cancellation.Cancel(); }
                catch (ObjectDisposedException) { }                   // the command had already finished
            });
        }
        return new Registrations([PosixSignalRegistration.Create(PosixSignal.SIGINT, Handle), PosixSignalRegistration.Create(PosixSignal.SIGTERM, Handle)]);
    }

    private sealed class Registrations(IReadOnlyList<IDisposable> registrations) : IDisposable
    {
        public void Dispose()
        {
            foreach (var r in registrations) r.Dispose();
        }
    }
}
