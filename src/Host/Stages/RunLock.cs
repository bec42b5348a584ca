// The exclusive lock of a run folder: one process at a time writes into it. The lock is an OS file lock on
// `.lock` (released by the OS when the process exits, however it exits, so a lock left by a killed process is
// stale and simply taken over); `.lock.owner` names the holder's process id for the error the second process gets.
using System.Globalization;
using System.Text.Json.Nodes;
using PluginMoE.Host.Configuration;

namespace PluginMoE.Host.Stages;

/// <summary>Holds a run folder's lock until disposed.</summary>
public sealed class RunLock : IDisposable
{
    /// <summary>The locked file.</summary>
    public const string LockFile = ".lock";

    /// <summary>Who holds the lock (process id, start time, command line).</summary>
    public const string OwnerFile = ".lock.owner";

    private readonly FileStream _stream;
    private readonly string _owner;

    private RunLock(FileStream stream, string owner)
    {
        _stream = stream;
        _owner = owner;
    }

    /// <summary>Takes the lock of <paramref name="runDirectory"/>.</summary>
    /// <exception cref="ConfigurationException">Another process holds it; the message names its process id.</exception>
    public static RunLock Acquire(string runDirectory, string commandLine)
    {
        ArgumentNullException.ThrowIfNull(runDirectory);
        string path = Path.Combine(runDirectory, LockFile);
        string owner = Path.Combine(runDirectory, OwnerFile);
        FileStream stream;
        try
        {
            // FileShare.None is an exclusive advisory lock (flock) on Unix and a share-mode lock on Windows; both end with the process.
            stream = new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException e)
        {
            throw new ConfigurationException(
                $"--run-dir: run folder '{runDirectory}' is in use by {Holder(owner)}; wait for it to finish or stop it " +
                "(Ctrl+C or kill saves a checkpoint), or pass another --run-dir", e);
        }
        AtomicFile.WriteAllText(owner, new JsonObject
        {
            ["pid"] = Environment.ProcessId,
            ["started_utc"] = DateTimeOffset.UtcNow.ToString("O", CultureInfo.InvariantCulture),
            ["host"] = Environment.MachineName,
            ["command"] = commandLine,
        }.ToJsonString());
        return new RunLock(stream, owner);
    }

    /// <summary>Releases the lock.</summary>
    public void Dispose()
    {
        try { File.Delete(_owner); }
        catch (IOException) { } // the lock itself is what matters; a leftover owner file is only informative
        _stream.Dispose();
    }

    private static string Holder(string ownerFile)
    {
        try
        {
            var node = JsonNode.Parse(File.ReadAllText(ownerFile));
            long pid = node?["pid"]?.GetValue<long>() ?? 0;
            string? host = node?["host"]?.GetValue<string>();
            string? command = node?["command"]?.GetValue<string>();
            string where = host is null || host == Environment.MachineName ? "" : $" on host '{host}'";
            return $"process {pid}{where}" + (command is { Length: > 0 } ? $" ({command})" : "");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or System.Text.Json.JsonException or InvalidOperationException or FormatException)
        {
            return "another process (its process id is not recorded yet)";
        }
    }
}
