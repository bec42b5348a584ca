// Whether the running PluginMoE was compiled without optimisation (a Debug build), which trains an order of
// magnitude slower: the CLI warns about it once per invocation.
using System.Diagnostics;
using System.Reflection;

namespace PluginMoE.Host.Cli;

/// <summary>Facts about the build of the running host.</summary>
public static class BuildInfo
{
    /// <summary>The one-line warning printed on stderr when the host runs from a Debug build.</summary>
    public const string DebugWarning =
        "pluginmoe: warning: this is a Debug build of PluginMoE, which trains about 17x slower than a Release build; " +
        "build with -c Release (dotnet run --project src/Host -c Release -- ...) or install the tool (see README)";

    /// <summary>True when the tensor engine (where the time goes) was compiled with the JIT optimiser disabled, as Debug builds are.</summary>
    public static bool IsDebug { get; } = IsUnoptimized(typeof(PluginMoE.Tensors.Tensor).Assembly) || IsUnoptimized(typeof(BuildInfo).Assembly);

    /// <summary>True when <paramref name="assembly"/> asks the JIT not to optimise it (the compiler's Debug configuration).</summary>
    public static bool IsUnoptimized(Assembly assembly)
    {
        ArgumentNullException.ThrowIfNull(assembly);
        return assembly.GetCustomAttribute<DebuggableAttribute>()?.IsJITOptimizerDisabled ?? false;
    }
}
