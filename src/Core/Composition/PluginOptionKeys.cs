// How errors name the plugin-option slots of a model when their JSON is bound: the ModelConfig property paths
// (ExpertOptions, Moe:RouterOptions, Moe:ExpertGroups:g:Options), a profile's keys, or a checkpoint's config.json
// path with its keys (pluginmoe.moe.router_options).
namespace PluginMoE.Core.Composition;

/// <summary>Key paths of the option slots of a model, for binding errors.</summary>
/// <param name="ExpertOptions">Key of the model's expert options.</param>
/// <param name="RouterOptions">Key of the router options.</param>
/// <param name="GroupOptions">Key of expert group g's options, as a format with <c>{0}</c> for g.</param>
/// <param name="File">The file the options were read from (named first in every message), or null.</param>
public sealed record PluginOptionKeys(string ExpertOptions, string RouterOptions, string GroupOptions, string? File = null)
{
    /// <summary>The <see cref="Abstractions.Checkpoints.ModelConfig"/> property paths.</summary>
    public static PluginOptionKeys Config { get; } = new("ExpertOptions", "Moe:RouterOptions", "Moe:ExpertGroups:{0}:Options");

    /// <summary>A checkpoint's config.json keys (the <c>pluginmoe</c> section); a key path ending in '.' joins option names with '.'.</summary>
    /// <param name="file">The config.json path.</param>
    public static PluginOptionKeys ConfigJson(string file) =>
        new("pluginmoe.expert_options.", "pluginmoe.moe.router_options.", "pluginmoe.moe.expert_groups.{0}.options.", file);

    /// <summary>Key of expert group <paramref name="group"/>'s options.</summary>
    public string Group(int group) => string.Format(System.Globalization.CultureInfo.InvariantCulture, GroupOptions, group);
}
