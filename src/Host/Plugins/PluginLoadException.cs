// Thrown when a profile asks for a plugin that was found but failed to load.
using PluginMoE.Abstractions.Composition;
using PluginMoE.Core.Composition;

namespace PluginMoE.Host.Plugins;

/// <summary>The requested plugin exists but could not be loaded; the message carries the recorded reason.</summary>
public sealed class PluginLoadException : PluginUnavailableException
{
    /// <summary>Creates the exception for <paramref name="failure"/>; its exception (if any) becomes the inner exception.</summary>
    public PluginLoadException(PluginKind kind, string name, PluginLoadFailure failure)
        : base($"{PluginKinds.Display(kind)} plugin '{name}' cannot be used: {failure?.Message}", failure?.Exception)
    {
        ArgumentNullException.ThrowIfNull(failure);
        Kind = kind;
        Name = name;
        Failure = failure;
    }

    /// <summary>The requested kind.</summary>
    public PluginKind Kind { get; }

    /// <summary>The requested name.</summary>
    public string Name { get; }

    /// <summary>What went wrong when it was loaded.</summary>
    public PluginLoadFailure Failure { get; }
}
