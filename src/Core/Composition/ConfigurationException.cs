// A configuration or usage error: the CLI reports it as one paragraph and exits with code 2.
namespace PluginMoE.Core.Composition;

/// <summary>The profile, an override or a command-line argument is wrong; the message says where, what and what would work.</summary>
public sealed class ConfigurationException(string message, Exception? inner = null) : Exception(message, inner);
