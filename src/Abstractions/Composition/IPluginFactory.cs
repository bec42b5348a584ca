// What every plugin factory shares: an optional options type that the host binds from the plugin's
// own configuration section and validates before the plugin is used.
namespace PluginMoE.Abstractions.Composition;

/// <summary>
/// A plugin that takes options. The host creates an instance of <see cref="OptionsType"/>, binds the
/// plugin's configuration section onto it, validates it (DataAnnotations attributes and
/// <see cref="System.ComponentModel.DataAnnotations.IValidatableObject"/>), and passes it in the spec
/// record. Plugins never see configuration APIs. Options are also written to checkpoints as JSON,
/// so they must round-trip through System.Text.Json.
/// </summary>
public interface IPluginFactory
{
    /// <summary>The options class (with a public parameterless constructor), or null when the plugin takes none.</summary>
    Type? OptionsType { get; }
}
