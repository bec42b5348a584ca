// The locks of a run folder. A job that runs whole stages holds `.lock` exclusively: no other job writes into the
// folder beside it. A per-domain branch job (`--stages branch --domain d`) holds `.lock` shared, so such jobs run side
// by side (a cluster's array tasks) while a whole-stage job can start neither beside them nor they beside it, and it
// holds `.lock.branch.<d>` exclusively, so two jobs never train the same expert. They are OS file locks (flock on
// Unix, share modes on Windows), released by the OS when the process exits however it exits, so a lock left by a
// killed process is stale and simply taken over; `<lock file>.owner` names the holder for the error the next process
// gets. The children of a `--parallel` job work under their parent's exclusive lock: the parent passes them the
// token recorded in `.lock.owner` (variable PLUGINMOE_RUN_LOCK_TOKEN), and they still take their domain's lock. A
// per-domain job with `--parallel` (`--domain a,b --parallel 2`) holds its domains' locks with a token recorded in
// each `.lock.branch.<d>.owner`, and its children work under those locks with that token.
using System.Globalization;
using System.Text.Json.Nodes;
using PluginMoE.Core.Composition;

namespace PluginMoE.Core.Recipe.Runs;

/// <summary>Holds locks of a run folder until disposed.</summary>
public sealed class RunLock : IDisposable
{
    /// <summary>The locked file.</summary>
    public const string LockFile = ".lock";

    /// <summary>Who holds the lock (process id, start time, command line).</summary>
    public const string OwnerFile = ".lock.owner";

    /// <summary>Environment variable through which a <c>--parallel</c> job lets its children work under its exclusive lock.</summary>
    public const string ParentTokenVariable = "PLUGINMOE_RUN_LOCK_TOKEN";

    private const string DomainPrefix = ".lock.branch.";
    private const string OwnerSuffix = ".owner";

    private readonly List<(FileStream Stream, string Owner)> _held;

    private RunLock(List<(FileStream Stream, string Owner)> held, string? token)
    {
        _held = held;
        Token = token;
    }

    /// <summary>The token of an exclusive lock (recorded in <see cref="OwnerFile"/>), which children pass back in <see cref="ParentTokenVariable"/>; null for a domain lock.</summary>
    public string? Token { get; }

    /// <summary>Name of the lock file of <paramref name="domain"/>'s expert.</summary>
    public static string DomainLockFile(string domain) => DomainPrefix + domain;

    /// <summary>Takes the exclusive lock of <paramref name="runDirectory"/> (a job that runs whole stages).</summary>
    /// <exception cref="ConfigurationException">Another process holds a lock of the folder; the message names it (or the per-domain jobs).</exception>
    public static RunLock Acquire(string runDirectory, string commandLine)
    {
        ArgumentNullException.ThrowIfNull(runDirectory);
        string path = Path.Combine(runDirectory, LockFile);
        var stream = TryLock(path, exclusive: true) ?? throw new ConfigurationException(
            $"--run-dir: run folder '{runDirectory}' is in use by {Holders(runDirectory)}; wait for it to finish or stop it " +
            "(Ctrl+C or kill saves a checkpoint), or pass another --run-dir");
        string token = Guid.NewGuid().ToString("N");
        string owner = WriteOwner(path, commandLine, token);
        return new RunLock([(stream, owner)], token);
    }

    /// <summary>
    /// Takes the locks of a per-domain branch job: <see cref="LockFile"/> shared (or, with <paramref name="parentToken"/>
    /// matching the holder's token, under the parent's exclusive lock) and each domain's lock exclusively.
    /// </summary>
    /// <param name="runDirectory">The run folder.</param>
    /// <param name="domains">The domains whose experts this job trains.</param>
    /// <param name="commandLine">This job's command line, recorded for the error another job gets.</param>
    /// <param name="parentToken">The token of the parent job this one is a child of (<see cref="ParentTokenVariable"/>), or null.</param>
    /// <param name="forChildren">Whether this job's children (<c>--parallel</c>) train the domains: the locks then carry a
    /// <see cref="Token"/> under which the children work.</param>
    /// <exception cref="ConfigurationException">A whole-stage job holds the folder, or another job trains one of the domains; the message names it.</exception>
    public static RunLock AcquireDomains(string runDirectory, IReadOnlyList<string> domains, string commandLine, string? parentToken, bool forChildren = false)
    {
        ArgumentNullException.ThrowIfNull(runDirectory);
        ArgumentNullException.ThrowIfNull(domains);
        var held = new List<(FileStream Stream, string Owner)>();
        try
        {
            string path = Path.Combine(runDirectory, LockFile);
            if (TryLock(path, exclusive: false) is { } shared) held.Add((shared, ""));
            else if (parentToken is not { Length: > 0 } || Owner(path + OwnerSuffix)?["token"]?.GetValue<string>() != parentToken)
                throw new ConfigurationException(
                    $"--run-dir: run folder '{runDirectory}' is in use by {Holder(path + OwnerSuffix)}, a job that runs whole stages; --domain jobs run " +
                    "beside each other, not beside it: wait for it to finish or stop it, or pass another --run-dir");
            string? token = forChildren ? Guid.NewGuid().ToString("N") : null;
            foreach (var domain in domains)
                if (LockDomain(runDirectory, domain, commandLine, token, parentToken) is { } lockHeld) held.Add(lockHeld);
            return new RunLock(held, token);
        }
        catch
        {
            foreach (var (stream, owner) in held) Release(stream, owner);
            throw;
        }
    }

    /// <summary>Takes only the lock of <paramref name="domain"/>'s expert (a whole-stage job training that expert itself).</summary>
    /// <exception cref="ConfigurationException">Another job trains that expert; the message names it.</exception>
    public static RunLock AcquireDomain(string runDirectory, string domain, string commandLine) =>
        new([LockDomain(runDirectory, domain, commandLine, null, null)!.Value], null);

    /// <summary>Releases the locks.</summary>
    public void Dispose()
    {
        foreach (var (stream, owner) in _held) Release(stream, owner);
        _held.Clear();
    }

    // The domain's lock, or null when the parent job (its token given) holds it for this child.
    private static (FileStream, string)? LockDomain(string runDirectory, string domain, string commandLine, string? token, string? parentToken)
    {
        string path = Path.Combine(runDirectory, DomainLockFile(domain));
        var stream = TryLock(path, exclusive: true);
        if (stream is null && parentToken is { Length: > 0 } && Owner(path + OwnerSuffix)?["token"]?.GetValue<string>() == parentToken) return null;
        if (stream is null)
            throw new ConfigurationException(
                $"--domain: the expert for domain '{domain}' of run folder '{runDirectory}' is already being trained by {Holder(path + OwnerSuffix)}; " +
                "one job per domain at a time: wait for it to finish or stop it");
        return (stream, WriteOwner(path, commandLine, token));
    }

    // The lock, or null when another open file holds a conflicting one. Shared: read access (what NFS needs for a shared lock).
    private static FileStream? TryLock(string path, bool exclusive)
    {
        try
        {
            // FileShare.None is an exclusive advisory lock (flock LOCK_EX) on Unix, any other share a shared one (LOCK_SH);
            // on Windows they are share modes. All end with the process.
            return exclusive
                ? new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None)
                : new FileStream(path, FileMode.OpenOrCreate, FileAccess.Read, FileShare.ReadWrite);
        }
        catch (IOException) when (File.Exists(path))
        {
            return null;
        }
    }

    private static string WriteOwner(string lockPath, string commandLine, string? token)
    {
        string owner = lockPath + OwnerSuffix;
        var record = new JsonObject
        {
            ["pid"] = Environment.ProcessId,
            ["started_utc"] = DateTimeOffset.UtcNow.ToString("O", CultureInfo.InvariantCulture),
            ["host"] = Environment.MachineName,
            ["command"] = commandLine,
        };
        if (token is not null) record["token"] = token;
        AtomicFile.WriteAllText(owner, record.ToJsonString());
        return owner;
    }

    private static void Release(FileStream stream, string owner)
    {
        if (owner.Length > 0)
        {
            try { File.Delete(owner); }
            catch (IOException) { } // the lock itself is what matters; a leftover owner file is only informative
        }
        stream.Dispose();
    }

    // Who holds the folder: the per-domain jobs whose locks are held now, else the exclusive holder.
    private static string Holders(string runDirectory)
    {
        var jobs = new List<string>();
        foreach (var path in Directory.EnumerateFiles(runDirectory, DomainPrefix + "*").Where(p => !p.EndsWith(OwnerSuffix, StringComparison.Ordinal)).Order(StringComparer.Ordinal))
        {
            using (var probe = TryLock(path, exclusive: false))
                if (probe is not null) continue; // not held: left by a finished or killed job
            jobs.Add($"domain '{Path.GetFileName(path)[DomainPrefix.Length..]}': {Holder(path + OwnerSuffix)}");
        }
        return jobs.Count == 0
            ? Holder(Path.Combine(runDirectory, OwnerFile))
            : $"per-domain branch jobs ({string.Join("; ", jobs)}); a job that runs whole stages waits until they have finished";
    }

    private static JsonNode? Owner(string ownerFile)
    {
        try { return JsonNode.Parse(File.ReadAllText(ownerFile)); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or System.Text.Json.JsonException)
        {
            return null;
        }
    }

    private static string Holder(string ownerFile)
    {
        try
        {
            var node = Owner(ownerFile);
            long pid = node?["pid"]?.GetValue<long>() ?? 0;
            if (pid == 0) return "another process (its process id is not recorded yet)";
            string? host = node?["host"]?.GetValue<string>();
            string? command = node?["command"]?.GetValue<string>();
            string where = host is null || host == Environment.MachineName ? "" : $" on host '{host}'";
            return $"process {pid}{where}" + (command is { Length: > 0 } ? $" ({command})" : "");
        }
        catch (Exception e) when (e is InvalidOperationException or FormatException)
        {
            return "another process (its process id is not recorded yet)";
        }
    }
}
