// How a run folder holds its seeds. One seed (Run:Seed, or a one-element Run:Seeds) runs in the run folder itself,
// as always. Several seeds (Run:Seeds) run one after another, each in its own run folder seed-<s>/ inside it (with
// its own config.resolved.json, invocations.jsonl and stage folders, so it resumes, and can be scored or served, like
// any run folder); the run folder keeps the lock, the telemetry and the report across the seeds (report/). Running
// on a seed folder itself (--run-dir runs/x/seed-2) runs that seed alone, e.g. one cluster task per seed.
using System.Globalization;
using System.Text.Json.Nodes;
using PluginMoE.Core.Recipe.Settings;

namespace PluginMoE.Core.Recipe.Runs;

/// <summary>One seed of a run: its folder, its settings (<c>Run:Seed</c> set to it) and their resolved JSON.</summary>
/// <param name="Seed">The seed.</param>
/// <param name="Run">Its run folder: the run folder itself for a single seed, else <c>seed-&lt;s&gt;/</c> inside it.</param>
/// <param name="Settings">The settings with <c>Run:Seed</c> = <paramref name="Seed"/>.</param>
/// <param name="Resolved">Those settings as config.resolved.json records them.</param>
public sealed record SeedRun(long Seed, RunFolder Run, ProfileSettings Settings, JsonObject Resolved);

/// <summary>Splits a run into its seeds.</summary>
public static class SeedRuns
{
    /// <summary>Prefix of a seed's folder inside a multi-seed run folder.</summary>
    public const string FolderPrefix = "seed-";

    /// <summary>The folder name of <paramref name="seed"/>'s run inside a multi-seed run folder.</summary>
    public static string FolderName(long seed) => FolderPrefix + seed.ToString(CultureInfo.InvariantCulture);

    /// <summary>
    /// The seeds of a run in <paramref name="run"/> with <paramref name="settings"/> (whose resolved JSON is
    /// <paramref name="resolved"/>): one entry in the run folder itself, or one per seed in <c>seed-&lt;s&gt;/</c>.
    /// </summary>
    public static IReadOnlyList<SeedRun> Open(RunFolder run, ProfileSettings settings, JsonObject resolved, DateTimeOffset now, string workingDirectory)
    {
        ArgumentNullException.ThrowIfNull(run);
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(resolved);
        var seeds = settings.Run.EffectiveSeeds();
        // A seed folder of a multi-seed run, named as the run folder: that seed alone, in it.
        if (seeds.Count > 1 && SeedOfFolder(run.Path) is { } own && seeds.Contains(own)) seeds = [own];
        if (seeds.Count == 1) return [For(seeds[0], run, settings, resolved)];
        var result = new List<SeedRun>();
        foreach (var seed in seeds)
        {
            var folder = RunFolder.Open(Path.Combine(run.Path, FolderName(seed)), run.Path, FolderName(seed), now, workingDirectory);
            result.Add(For(seed, folder, settings, resolved));
        }
        return result;
    }

    // The seed a folder named seed-<s> inside a run folder stands for, or null.
    private static long? SeedOfFolder(string path)
    {
        string name = Path.GetFileName(Path.TrimEndingDirectorySeparator(path));
        string? parent = Path.GetDirectoryName(Path.TrimEndingDirectorySeparator(path));
        return name.StartsWith(FolderPrefix, StringComparison.Ordinal) && parent is not null && RunFolder.IsRunFolder(parent)
            && long.TryParse(name.AsSpan(FolderPrefix.Length), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var seed) ? seed : null;
    }

    private static SeedRun For(long seed, RunFolder folder, ProfileSettings settings, JsonObject resolved)
    {
        var json = (JsonObject)resolved.DeepClone();
        var section = (JsonObject)json[RunOptions.SectionName]!;
        section["Seed"] = seed;
        section["Seeds"] = new JsonArray();
        section["RunDirectory"] = folder.Path;
        return new SeedRun(seed, folder, settings.ForSeed(seed), json);
    }
}
