// The assemblies every plugin must share with the host: the contracts and what their types expose.
// Loading a second copy of any of them in a plugin's context would make IRouterFactory (etc.) a different type.
namespace PluginMoE.Host.Plugins;

/// <summary>Names of the assemblies that always resolve to the host's copies.</summary>
internal static class SharedAssemblies
{
    private static readonly HashSet<string> Exact = new(StringComparer.OrdinalIgnoreCase)
    {
        "PluginMoE.Abstractions",
        "PluginMoE.Tensors",
        "System.Numerics.Tensors",
    };

    /// <summary>The contract assembly plugins are recognised by.</summary>
    public const string Abstractions = "PluginMoE.Abstractions";

    /// <summary>True when <paramref name="name"/> must come from the host (contracts, System.Composition.*).</summary>
    public static bool IsShared(string? name) =>
        name is not null && (Exact.Contains(name) || name.StartsWith("System.Composition", StringComparison.OrdinalIgnoreCase));
}
