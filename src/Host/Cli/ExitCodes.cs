// The CLI's exit codes.
namespace PluginMoE.Host.Cli;

/// <summary>Process exit codes of <c>pluginmoe</c>.</summary>
public static class ExitCodes
{
    /// <summary>Success.</summary>
    public const int Success = 0;

    /// <summary>The run failed (training diverged, a plugin threw, I/O failed, cancelled).</summary>
    public const int RunFailure = 1;

    /// <summary>Wrong usage or configuration (bad arguments, profile, setting, plugin name, missing file).</summary>
    public const int UsageError = 2;
}
