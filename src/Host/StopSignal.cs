// The signal (SIGINT from Ctrl+C, or SIGTERM) that stopped an invocation, so the CLI can exit 130 or 143 as shells expect.
using System.Runtime.InteropServices;

namespace PluginMoE.Host;

/// <summary>The signal that stopped this invocation, if one did.</summary>
public sealed class StopSignal
{
    /// <summary>SIGINT or SIGTERM once received; null otherwise.</summary>
    public PosixSignal? Received { get; set; }
}
