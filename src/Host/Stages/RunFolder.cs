// The run folder: runs/<profile>-<utc-timestamp>/ (or --run-dir) with config.resolved.json, the telemetry
// files and one folder per stage; a stage's completion marker makes a re-run skip it.
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace PluginMoE.Host.Stages;

/// <summary>Paths and completion markers of one run.</summary>
public sealed class RunFolder
{
    /// <summary>The effective configuration of the latest invocation on this folder.</summary>
    public const string ResolvedConfigFile = "config.resolved.json";

    /// <summary>Marker a stage folder gets when the stage has finished.</summary>
    public const string CompletedFile = "completed.json";

    private RunFolder(string path) => Path = path;

    /// <summary>Absolute path of the run folder.</summary>
    public string Path { get; }

    /// <summary>
    /// The folder <paramref name="explicitDirectory"/> when given (created if needed; an existing one is resumed),
    /// otherwise a new <c>&lt;runsRoot&gt;/&lt;name&gt;-&lt;yyyyMMdd-HHmmss&gt;Z</c> folder.
    /// </summary>
    public static RunFolder Open(string? explicitDirectory, string runsRoot, string name, DateTimeOffset now, string workingDirectory)
    {
        string path = explicitDirectory is { Length: > 0 }
            ? System.IO.Path.GetFullPath(explicitDirectory, workingDirectory)
            : System.IO.Path.GetFullPath(System.IO.Path.Combine(runsRoot, $"{name}-{now.UtcDateTime.ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture)}Z"), workingDirectory);
        Directory.CreateDirectory(path);
        return new RunFolder(path);
    }

    /// <summary>The folder of <paramref name="stage"/> (created).</summary>
    public string Stage(string stage)
    {
        string dir = System.IO.Path.Combine(Path, stage);
        Directory.CreateDirectory(dir);
        return dir;
    }

    /// <summary>True when <paramref name="stage"/> has its completion marker.</summary>
    public bool IsComplete(string stage) => File.Exists(System.IO.Path.Combine(Path, stage, CompletedFile));

    /// <summary>Writes the completion marker of <paramref name="stage"/> atomically.</summary>
    public void MarkComplete(string stage, TimeSpan duration) =>
        AtomicFile.WriteAllText(System.IO.Path.Combine(Stage(stage), CompletedFile), new JsonObject
        {
            ["stage"] = stage,
            ["completed_utc"] = DateTimeOffset.UtcNow.ToString("O", CultureInfo.InvariantCulture),
            ["duration_s"] = duration.TotalSeconds,
        }.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));

    /// <summary>Writes <c>config.resolved.json</c> atomically.</summary>
    public void WriteResolvedConfig(JsonObject config)
    {
        ArgumentNullException.ThrowIfNull(config);
        AtomicFile.WriteAllText(System.IO.Path.Combine(Path, ResolvedConfigFile), config.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
    }
}
