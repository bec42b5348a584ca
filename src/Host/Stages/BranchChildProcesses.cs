// `--parallel N`: the branch stage's experts (all of them, or those of this job's `--domain a,b`) trained by N
// concurrent child processes of the same CLI, each a per-domain job (`--stages branch --domain d`) working under this
// job's locks (the run folder's exclusive lock, or the domain locks of a `--domain` job; RunLock). Every line a child prints
// is relayed prefixed with its domain and kept in jobs/branch-<domain>/output.log; the parent waits for all of them
// and then names each child that failed, with its exit code, its log and its last line. Each child gets
// max(1, cores / N) kernel threads (DOTNET_PROCESSOR_COUNT): on 2 cores, `--parallel 2` runs two single-threaded
// children. Kernels partition work by thread count, so a child's expert equals, bit for bit, the one a sequential
// run with that thread count trains. Ctrl+C / SIGTERM is passed on to the children (SIGTERM), which stop between steps.
// The stage itself lives in Core (BranchStage); this is the host's side of it: only the host knows its own command line.
using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using PluginMoE.Core.Recipe.Stages;

namespace PluginMoE.Host.Stages;

/// <summary>Runs per-domain branch jobs as child processes.</summary>
/// <param name="startChild">The child process that trains one domain's expert, without its output redirection.</param>
internal sealed partial class BranchChildProcesses(Func<string, ProcessStartInfo> startChild) : IBranchJobRunner
{
    /// <summary>The name of the folder (under the run folder's jobs/) of the per-domain job that trains <paramref name="domains"/>.</summary>
    public static string JobName(IEnumerable<string> domains) => "branch-" + string.Join("+", domains);

    /// <summary>Kernel threads per child when <paramref name="children"/> run at once on <paramref name="cores"/> cores.</summary>
    public static int ThreadsPerChild(int cores, int children) => Math.Max(1, cores / Math.Max(1, children));

    /// <summary>Trains <paramref name="domains"/>' experts as child processes, at most <c>context.Branch.Parallel</c> at once.</summary>
    /// <exception cref="InvalidOperationException">Children failed; the message names each with its exit code and log.</exception>
    /// <exception cref="OperationCanceledException">Cancelled; running children were stopped.</exception>
    public void Run(StageContext context, IReadOnlyList<string> domains, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(domains);
        var jobs = context.Branch;
        int width = Math.Min(jobs.Parallel, domains.Count);
        int cores = Environment.ProcessorCount;
        int threads = ThreadsPerChild(cores, width);
        context.Progress.Info(string.Create(CultureInfo.InvariantCulture,
            $"branch: {domains.Count} experts, {width} at a time as child processes, {threads} kernel thread{(threads == 1 ? "" : "s")} each ({cores} cores)"));
        var console = new object();
        var running = new List<Child>();
        var failures = new List<string>();
        using var stop = cancellationToken.Register(() =>
        {
            lock (running) foreach (var child in running) child.Terminate();
        });
        var queue = new Queue<string>(domains);
        while (queue.Count > 0 || running.Count > 0)
        {
            while (queue.Count > 0 && running.Count < width && !cancellationToken.IsCancellationRequested)
            {
                var child = Child.Start(context, startChild, queue.Dequeue(), threads, console);
                lock (running) running.Add(child);
                if (cancellationToken.IsCancellationRequested) child.Terminate();
            }
            if (running.Count == 0) break;
            int done = Task.WaitAny([.. running.Select(c => c.Exited)]);
            var finished = running[done];
            lock (running) running.RemoveAt(done);
            if (finished.Finish() is { } failure) failures.Add(failure);
        }
        cancellationToken.ThrowIfCancellationRequested();
        if (failures.Count > 0)
            throw new InvalidOperationException(
                $"stage 'branch': {failures.Count} of {domains.Count} expert jobs failed: {string.Join("; ", failures)}. " +
                "The experts that finished are kept; rerun the same command to train the missing ones");
    }

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);

    private sealed class Child
    {
        private const int SigTerm = 15;
        private readonly Process _process;
        private readonly StreamWriter _log;
        private readonly string _logPath;
        private string _lastLine = "";

        private Child(string domain, Process process, StreamWriter log, string logPath)
        {
            Domain = domain;
            _process = process;
            _log = log;
            _logPath = logPath;
            Exited = process.WaitForExitAsync();
        }

        public string Domain { get; }

        public Task Exited { get; }

        public static Child Start(StageContext context, Func<string, ProcessStartInfo> startChild, string domain, int threads, object console)
        {
            var info = startChild(domain);
            info.RedirectStandardOutput = true;
            info.RedirectStandardError = true;
            info.UseShellExecute = false;
            info.Environment["DOTNET_PROCESSOR_COUNT"] = threads.ToString(CultureInfo.InvariantCulture);
            string logPath = Path.Combine(context.Run.Job(JobName([domain])), "output.log");
            var log = new StreamWriter(logPath, append: false) { AutoFlush = true };
            var process = new Process { StartInfo = info };
            Child? child = null;
            void Relay(string? line)
            {
                if (line is null) return;
                lock (console)
                {
                    log.WriteLine(line);
                    if (line.Trim().Length > 0 && child is not null) child._lastLine = line.Trim();
                    context.Progress.Info($"[{domain}] {line}");
                }
            }
            process.OutputDataReceived += (_, e) => Relay(e.Data);
            process.ErrorDataReceived += (_, e) => Relay(e.Data);
            try { process.Start(); }
            catch (System.ComponentModel.Win32Exception e)
            {
                log.Dispose();
                process.Dispose();
                throw new InvalidOperationException($"stage 'branch': cannot start the child process for expert '{domain}' ({info.FileName}): {e.Message}", e);
            }
            child = new Child(domain, process, log, logPath);
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            lock (console) context.Progress.Info($"branch: expert '{domain}': child process {process.Id} started (log: {logPath})");
            return child;
        }

        // Null when the child succeeded, otherwise what failed.
        public string? Finish()
        {
            _process.WaitForExit(); // the redirected output is complete after this
            int code = _process.ExitCode;
            _process.Dispose();
            _log.Dispose();
            return code == 0 ? null
                : $"expert '{Domain}' exited with code {code} (log: {_logPath}{(_lastLine.Length > 0 ? $"; last line: {_lastLine}" : "")})";
        }

        public void Terminate()
        {
            try
            {
                if (_process.HasExited) return;
                if (OperatingSystem.IsWindows()) _process.Kill(entireProcessTree: true);
                else _ = Kill(_process.Id, SigTerm); // the child saves what it can and exits with 143
            }
            catch (InvalidOperationException) { } // exited meanwhile
        }
    }
}
