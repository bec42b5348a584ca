// The configuration layers, lowest first: appsettings.json beside the host, the profile (merged over the profiles
// it extends), PLUGINMOE__* environment variables, then command-line overrides (--Section:Key=value). The layers
// are merged as one settings tree (SettingsTree), where a list given by a layer replaces the lower layers' list
// whole and a profile's null removes an inherited key; the tree is the configuration the options binders read.
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Configuration;
using PluginMoE.Core.Composition;

namespace PluginMoE.Host.Configuration;

/// <summary>The built configuration and where it came from.</summary>
/// <param name="Root">The merged configuration.</param>
/// <param name="ProfileName">The profile's name (file name without .json), or null when none was chosen.</param>
/// <param name="ProfilePath">The profile file, or null.</param>
/// <param name="BaseDirectory">Folder that relative data paths are resolved against (the profile's folder, else the working directory).</param>
public sealed record LayeredConfiguration(IConfigurationRoot Root, string? ProfileName, string? ProfilePath, string BaseDirectory)
{
    /// <summary>Prefix of the environment variables that override settings (<c>PLUGINMOE__Model__Layers=4</c>).</summary>
    public const string EnvironmentPrefix = "PLUGINMOE__";

    /// <summary>The profile's file and the files of the profiles it extends, base first (empty without a profile).</summary>
    public IReadOnlyList<string> ProfileFiles { get; init; } = [];

    /// <summary>Key paths that a profile's null removed (<c>Recipe:Variants:nexus</c>), with the profile file that removed each.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> RemovedKeys { get; init; } = [];

    /// <summary>
    /// What the profiles removed with null, for error messages ("; removed with null: Recipe:Variants:linear (in
    /// 'child.json')"), or an empty string when nothing was removed.
    /// </summary>
    public string RemovalNote() => RemovedKeys.Count == 0
        ? ""
        : $"; removed with null: {string.Join(", ", RemovedKeys.Select(kv => $"{kv.Key} (in '{kv.Value}')"))}";

    /// <summary>Environment variable that chooses a profile when <c>--profile</c> is not given.</summary>
    public const string ProfileVariable = "PLUGINMOE_PROFILE";

    /// <summary>Builds the layered configuration for <paramref name="request"/>.</summary>
    /// <exception cref="ConfigurationException">A file is missing or not valid JSON, or an override is malformed.</exception>
    public static LayeredConfiguration Build(ConfigurationRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var tree = new JsonObject();
        string defaults = Path.Combine(request.HostDirectory, "appsettings.json");
        if (File.Exists(defaults))
        {
            JsonFileCheck.EnsureValid(defaults, "settings file");
            tree = SettingsTree.WithoutNulls(JsonNode.Parse(File.ReadAllText(defaults),
                documentOptions: new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true })!.AsObject());
        }

        string? profile = request.Profile ?? request.Environment.GetValueOrDefault(ProfileVariable);
        string? profilePath = string.IsNullOrWhiteSpace(profile) ? null : ProfileLocator.Locate(profile, request);
        ProfileChain? chain = null;
        if (profilePath is not null)
        {
            // The profile with the profiles it extends ("Extends": "quickstart"), merged over the defaults.
            chain = ProfileInheritance.Load(profilePath, request, tree);
            tree = chain.Settings;
        }

        SettingsTree.Apply(tree, request.Environment
            .Where(kv => kv.Key.StartsWith(EnvironmentPrefix, StringComparison.OrdinalIgnoreCase))
            .OrderBy(kv => kv.Key, StringComparer.Ordinal)
            .Select(kv => new KeyValuePair<string, string?>(kv.Key[EnvironmentPrefix.Length..].Replace("__", ":", StringComparison.Ordinal), kv.Value)));
        SettingsTree.Apply(tree, ParseOverrides(request.Overrides));

        var root = new ConfigurationBuilder().AddInMemoryCollection(SettingsTree.Flatten(tree)).Build();
        return new LayeredConfiguration(root,
            profilePath is null ? null : Path.GetFileNameWithoutExtension(profilePath), profilePath,
            profilePath is null ? request.WorkingDirectory : Path.GetDirectoryName(profilePath)!)
        {
            ProfileFiles = chain?.Files ?? [],
            RemovedKeys = chain?.Removed ?? [],
        };
    }

    /// <summary>Parses <c>--Section:Key=value</c> and <c>--Section:Key value</c> overrides.</summary>
    /// <exception cref="ConfigurationException">A token is not an override.</exception>
    public static IReadOnlyList<KeyValuePair<string, string?>> ParseOverrides(IReadOnlyList<string> tokens)
    {
        ArgumentNullException.ThrowIfNull(tokens);
        var result = new List<KeyValuePair<string, string?>>();
        for (int i = 0; i < tokens.Count; i++)
        {
            string token = tokens[i];
            string body = token.StartsWith("--", StringComparison.Ordinal) ? token[2..] : "";
            int eq = body.IndexOf('=', StringComparison.Ordinal);
            string key = eq >= 0 ? body[..eq] : body;
            if (!key.Contains(':', StringComparison.Ordinal) || key.StartsWith(':') || key.EndsWith(':'))
                throw new ConfigurationException(
                    $"unrecognised argument '{token}': settings overrides look like --Section:Key=value (for example --Model:Layers=4 or --Training:Steps=200)");
            if (eq >= 0) result.Add(new(key, body[(eq + 1)..]));
            else if (i + 1 < tokens.Count && !tokens[i + 1].StartsWith("--", StringComparison.Ordinal)) result.Add(new(key, tokens[++i]));
            else throw new ConfigurationException($"override '{token}' has no value; write --{key}=value");
        }
        return result;
    }
}
