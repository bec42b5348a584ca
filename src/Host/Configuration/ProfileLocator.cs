// Finds a profile by name (./profiles/<name>.json, then profiles/ beside the host binary) or by path.
using PluginMoE.Core.Composition;
namespace PluginMoE.Host.Configuration;

/// <summary>Resolves <c>--profile</c> values to files.</summary>
public static class ProfileLocator
{
    /// <summary>The folders searched for named profiles, in order.</summary>
    public static IReadOnlyList<string> SearchFolders(ConfigurationRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        return [.. new[] { Path.Combine(request.WorkingDirectory, "profiles"), Path.Combine(request.HostDirectory, "profiles") }
            .Select(Path.GetFullPath).Distinct()];
    }

    /// <summary>
    /// The profile file of <paramref name="profile"/>: a value ending in <c>.json</c> or containing a directory separator
    /// is a path (relative to the working directory); anything else is a name.
    /// </summary>
    /// <exception cref="ConfigurationException">No such profile; the message lists the paths searched and the profiles found.</exception>
    public static string Locate(string profile, ConfigurationRequest request)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(profile);
        ArgumentNullException.ThrowIfNull(request);
        if (profile.EndsWith(".json", StringComparison.OrdinalIgnoreCase) || profile.Contains('/') || profile.Contains(Path.DirectorySeparatorChar))
        {
            string path = Path.GetFullPath(profile, request.WorkingDirectory);
            return File.Exists(path) ? path : throw new ConfigurationException($"profile file '{path}' does not exist");
        }
        var folders = SearchFolders(request);
        foreach (var folder in folders)
        {
            string candidate = Path.Combine(folder, profile + ".json");
            if (File.Exists(candidate)) return candidate;
        }
        var known = folders.Where(Directory.Exists)
            .SelectMany(f => Directory.GetFiles(f, "*.json")).Select(Path.GetFileNameWithoutExtension).OfType<string>()
            .Distinct().Order(StringComparer.Ordinal).ToList();
        string available = known.Count == 0 ? "no profiles were found there" : $"available profiles: {string.Join(", ", known)}";
        throw new ConfigurationException(
            $"profile '{profile}' not found: searched {string.Join(", ", folders.Select(f => $"'{Path.Combine(f, profile + ".json")}'"))}; " +
            $"{available}{NameSuggestions.Hint(profile, known)}. Pass a profile name or a path to a .json file");
    }
}
