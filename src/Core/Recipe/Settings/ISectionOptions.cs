// Marks an options class bound from one configuration section (the Microsoft.Extensions.Options
// "SectionName" convention, without the DI container: the host binds and validates explicitly at start).
namespace PluginMoE.Core.Recipe.Settings;

/// <summary>An options class bound from the section named by <c>SectionName</c>.</summary>
public interface ISectionOptions
{
    /// <summary>The configuration section this class is bound from (e.g. <c>Model</c>).</summary>
    static abstract string SectionName { get; }
}
