// Plugin options that name files: the host gives them the folder that relative paths mean (the profile's
// folder), the same way dataset loaders get DatasetRequest.BaseDirectory.
namespace PluginMoE.Core.Composition;

/// <summary>Options whose file paths may be relative to the profile's folder.</summary>
public interface IRelativePathOptions
{
    /// <summary>A copy of these options with every relative path made absolute against <paramref name="baseDirectory"/>.</summary>
    object WithBaseDirectory(string baseDirectory);
}
