// A plugin that exists under the requested name but cannot be used (its assembly failed to load, or it was built
// against another contract): what the recipe catches beside KeyNotFoundException (no such plugin) to report both alike.
namespace PluginMoE.Core.Composition;

/// <summary>The requested plugin was found but cannot be used; the message says why.</summary>
public class PluginUnavailableException : Exception
{
    /// <summary>Creates the exception with its reason.</summary>
    public PluginUnavailableException(string message, Exception? inner = null) : base(message, inner) { }
}
