// The CLI's exit codes (130/143 after Ctrl+C/SIGTERM, as shells expect).
namespace PluginMoE.Host.Cli;

/// <summary>Process exit codes of <c>pluginmoe</c>.</summary>
public static class ExitCodes
{
    /// <summary>Success.</summary>
    public const int Success = 0;

    /// <summary>The run failed (training diverged, a plugin threw, I/O failed).</summary>
    public const int RunFailure = 1;

    /// <summary>Wrong usage or configuration (bad arguments, profile, setting, plugin name, missing file).</summary>
    public const int UsageError = 2;

    /// <summary>Stopped by Ctrl+C (SIGINT) or an in-process cancellation: 128 + 2, as shells report it.</summary>
    public const int Interrupted = 130;

    /// <summary>Stopped by SIGTERM: 128 + 15.</summary>
    public const int Terminated = 143;
}
