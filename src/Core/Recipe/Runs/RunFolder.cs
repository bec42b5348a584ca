// The run folder: runs/<profile>-<utc-timestamp>/ (or --run-dir) with config.resolved.json (the settings of
// the latest invocation that ran a stage), invocations.jsonl (one record per invocation), the telemetry files,
// the locks, jobs/<job>/ (telemetry and output of per-domain branch jobs), and one folder per stage; a stage's
// completion marker makes a re-run skip it. Several processes may write here at once (per-domain branch jobs):
// whole files are replaced atomically, and read-modify-write bookkeeping (invocations.jsonl, a stage's settings)
// happens under the short-lived `.lock.bookkeeping` file lock, so no line or record is lost.
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using PluginMoE.Core.Composition;

namespace PluginMoE.Core.Recipe.Runs;

/// <summary>Paths and completion markers of one run.</summary>
public sealed class RunFolder
{
    /// <summary>The effective configuration of the latest invocation that ran a stage on this folder.</summary>
    public const string ResolvedConfigFile = "config.resolved.json";

    /// <summary>One JSON line per invocation on this folder: time, command, what it did, which settings changed.</summary>
    public const string InvocationsFile = "invocations.jsonl";

    /// <summary>Marker a stage folder gets when the stage has finished.</summary>
    public const string CompletedFile = "completed.json";

    /// <summary>The file locked while bookkeeping files are read and rewritten.</summary>
    public const string BookkeepingLockFile = ".lock.bookkeeping";

    /// <summary>Folder of the per-job files (telemetry, captured output) of jobs that run beside each other.</summary>
    public const string JobsFolder = "jobs";

    private static readonly TimeSpan BookkeepingTimeout = TimeSpan.FromSeconds(60);
    private readonly System.Threading.Lock _gate = new();
    private FileStream? _bookkeeping;
    private int _depth;

    private RunFolder(string path) => Path = path;

    /// <summary>Absolute path of the run folder.</summary>
    public string Path { get; }

    /// <summary>
    /// The folder <paramref name="explicitDirectory"/> when given (created if needed; an existing run folder is resumed),
    /// otherwise a new <c>&lt;runsRoot&gt;/&lt;name&gt;-&lt;yyyyMMdd-HHmmss&gt;Z</c> folder.
    /// </summary>
    /// <exception cref="ConfigurationException">The path is a file, or a non-empty folder that is not a run folder.</exception>
    public static RunFolder Open(string? explicitDirectory, string runsRoot, string name, DateTimeOffset now, string workingDirectory)
    {
        bool explicitPath = explicitDirectory is { Length: > 0 };
        string path = explicitPath
            ? System.IO.Path.GetFullPath(explicitDirectory!, workingDirectory)
            : System.IO.Path.GetFullPath(System.IO.Path.Combine(runsRoot, $"{name}-{now.UtcDateTime.ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture)}Z"), workingDirectory);
        string key = explicitPath ? "--run-dir" : "Run:RunsRoot";
        if (File.Exists(path))
            throw new ConfigurationException($"{key}: '{path}' is a file, not a folder; pass a new or empty folder, or a run folder to resume");
        if (Directory.Exists(path) && !IsRunFolder(path) && Directory.EnumerateFileSystemEntries(path).Any())
        {
            var entries = Directory.EnumerateFileSystemEntries(path).Select(System.IO.Path.GetFileName).Order(StringComparer.Ordinal).Take(3).ToList();
            throw new ConfigurationException(
                $"{key}: folder '{path}' is not empty ({string.Join(", ", entries)}{(entries.Count == 3 ? ", ..." : "")}) and is not a PluginMoE run folder " +
                $"(it has no {ResolvedConfigFile}); pass a new or empty folder, or a run folder to resume");
        }
        try { Directory.CreateDirectory(path); }
        catch (IOException e) { throw new ConfigurationException($"{key}: cannot create folder '{path}': {e.Message}", e); }
        return new RunFolder(path);
    }

    /// <summary>True when <paramref name="path"/> was made by <c>pluginmoe run</c> (it has a resolved configuration or a lock file).</summary>
    public static bool IsRunFolder(string path) =>
        File.Exists(System.IO.Path.Combine(path, ResolvedConfigFile)) || File.Exists(System.IO.Path.Combine(path, RunLock.LockFile));

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

    /// <summary>The recorded <c>config.resolved.json</c>, or null when there is none (or it is unreadable).</summary>
    public JsonObject? ReadResolvedConfig()
    {
        string path = System.IO.Path.Combine(Path, ResolvedConfigFile);
        try { return File.Exists(path) ? JsonNode.Parse(File.ReadAllText(path)) as JsonObject : null; }
        catch (JsonException) { return null; }
    }

    /// <summary>Writes <c>config.resolved.json</c> atomically.</summary>
    public void WriteResolvedConfig(JsonObject config)
    {
        ArgumentNullException.ThrowIfNull(config);
        AtomicFile.WriteAllText(System.IO.Path.Combine(Path, ResolvedConfigFile), config.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
    }

    /// <summary>Appends one line to <see cref="InvocationsFile"/> (under the bookkeeping lock, so concurrent jobs lose no line).</summary>
    public void AppendInvocation(JsonObject record)
    {
        ArgumentNullException.ThrowIfNull(record);
        Bookkeeping(() =>
        {
            string path = System.IO.Path.Combine(Path, InvocationsFile);
            using var file = new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.ReadWrite);
            TornLine.End(path, file);
            file.Write(System.Text.Encoding.UTF8.GetBytes(record.ToJsonString() + "\n"));
            file.Flush(flushToDisk: true);
        });
    }

    /// <summary>The folder of job <paramref name="job"/> under <see cref="JobsFolder"/> (created).</summary>
    public string Job(string job)
    {
        string dir = System.IO.Path.Combine(Path, JobsFolder, job);
        Directory.CreateDirectory(dir);
        return dir;
    }

    /// <summary>
    /// Runs <paramref name="body"/> holding the folder's bookkeeping lock, which other processes writing into the folder
    /// take for their read-modify-write steps too; it waits for a holder (at most a minute). Re-entrant on one thread.
    /// </summary>
    /// <exception cref="IOException">The lock stayed held for a minute.</exception>
    public void Bookkeeping(Action body)
    {
        ArgumentNullException.ThrowIfNull(body);
        lock (_gate)
        {
            if (_depth == 0) _bookkeeping = TakeBookkeepingLock();
            _depth++;
            try { body(); }
            finally
            {
                if (--_depth == 0)
                {
                    _bookkeeping?.Dispose();
                    _bookkeeping = null;
                }
            }
        }
    }

    private FileStream TakeBookkeepingLock()
    {
        string path = System.IO.Path.Combine(Path, BookkeepingLockFile);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        for (int attempt = 0; ; attempt++)
        {
            try { return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None); }
            catch (IOException) when (File.Exists(path) && clock.Elapsed < BookkeepingTimeout)
            {
                Thread.Sleep(Math.Min(100, 5 << Math.Min(attempt, 4)));
            }
            catch (IOException e) when (File.Exists(path))
            {
                throw new IOException($"run folder '{Path}': the bookkeeping lock ({BookkeepingLockFile}) stayed held by another process for {BookkeepingTimeout.TotalSeconds:F0} s", e);
            }
        }
    }
}
