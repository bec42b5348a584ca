// Marks a NestedPluginOptions property of a plugin's options class: which sibling property names the inner plugin and
// of what kind it is, so that the host binds the inner options once, with the outer ones (contract 2.1 addition).
namespace PluginMoE.Abstractions.Composition;

/// <summary>
/// On a <see cref="NestedPluginOptions"/> property of an options class: the options of the plugin of kind
/// <see cref="Kind"/> whose name is in the string property <see cref="PluginProperty"/> of the same class. When the host
/// binds the outer options it resolves that plugin (an unknown name is an error naming the key), binds the nested JSON
/// against the plugin's options type, validates it, and stores it in <see cref="NestedPluginOptions.Value"/>; an absent
/// section binds the inner plugin's defaults. Supported kinds: <see cref="PluginKind.Router"/> and <see cref="PluginKind.Expert"/>.
/// </summary>
/// <example><code>
/// public string Inner { get; set; } = "xmoe";
/// [PluginOptionsOf(PluginKind.Router, nameof(Inner))]
/// public NestedPluginOptions? InnerOptions { get; set; }
/// </code></example>
[AttributeUsage(AttributeTargets.Property, AllowMultiple = false, Inherited = true)]
public sealed class PluginOptionsOfAttribute : Attribute
{
    /// <summary>Declares the property as the options of the <paramref name="kind"/> plugin named by <paramref name="pluginProperty"/>.</summary>
    /// <param name="kind">The inner plugin's kind.</param>
    /// <param name="pluginProperty">Name of the string property that holds the inner plugin's name (use <c>nameof</c>).</param>
    public PluginOptionsOfAttribute(PluginKind kind, string pluginProperty)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(pluginProperty);
        Kind = kind;
        PluginProperty = pluginProperty;
    }

    /// <summary>The inner plugin's kind.</summary>
    public PluginKind Kind { get; }

    /// <summary>Name of the sibling string property holding the inner plugin's name.</summary>
    public string PluginProperty { get; }
}
