// Thrown when a profile names a plugin that no plugin folder exports.
using PluginMoE.Abstractions.Composition;

namespace PluginMoE.Host.Plugins;

/// <summary>
/// No plugin of the requested kind has the requested name. The message lists the available names, the closest
/// one, the directories searched and any plugin files that failed to load (one of them may have provided it).
/// Derives from <see cref="KeyNotFoundException"/>, as <c>IComponentCatalog</c> documents for unknown names.
/// </summary>
public sealed class PluginNotFoundException : KeyNotFoundException
{
    /// <summary>Creates the exception with its full message.</summary>
    public PluginNotFoundException(PluginKind kind, string name, string message) : base(message)
    {
        Kind = kind;
        Name = name;
    }

    /// <summary>The requested kind.</summary>
    public PluginKind Kind { get; }

    /// <summary>The requested name.</summary>
    public string Name { get; }
}
