// The contract version plugins are compiled against. The export attributes bake it into each plugin's
// metadata, so the host can refuse a plugin built against an incompatible major version.
namespace PluginMoE.Abstractions;

/// <summary>Version of the plugin contracts in this assembly.</summary>
public static class PluginContract
{
    /// <summary>Major version: a plugin built against another major version is refused by the host.</summary>
    public const int Major = 2;

    /// <summary>Minor version: additions that keep older plugins working.</summary>
    public const int Minor = 1;

    /// <summary>"Major.Minor".</summary>
    public static string Version => $"{Major}.{Minor}";
}
