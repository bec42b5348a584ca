// Makes TorchSharp's native bridge loadable on distributions whose libstdc++ predates GCC 13 (Debian 12 ships
// GCC 12's, versions up to GLIBCXX_3.4.30). libLibTorchSharp.so 0.107 requires GLIBCXX_3.4.32 for a single
// symbol, std::ios_base_library_init(), which GCC 13's <iostream> references only to force that version
// dependency (the bridge has no relocation against it, so it is never bound or called). Marking that one
// version requirement weak lets glibc's loader accept the library. The edit is made on the copy of the
// bridge in the application's own output folder (never in the NuGet cache), only when the libstdc++ the
// process uses lacks the version, and it is idempotent.
// It also sets OMP_WAIT_POLICY=PASSIVE in the native environment before LibTorch's OpenMP runtime starts (unless the
// user set it): with the default (active) policy, idle OpenMP threads spin between LibTorch's parallel regions, and
// on a machine with more runnable threads than cores (PluginMoE's own thread pool, other processes) a training
// step took 28x longer in wall time (39 s instead of 1.4 s, measured on 2 cores under load).
using System.Runtime.InteropServices;

namespace PluginMoE.Tensors.Torch.Native;

/// <summary>Prepares and loads LibTorch through TorchSharp once per process.</summary>
public static class TorchNativeLoader
{
    /// <summary>The libstdc++ symbol version the bridge asks for.</summary>
    public const string RequiredGlibcxx = "GLIBCXX_3.4.32";

    /// <summary>File name of TorchSharp's native bridge on Linux.</summary>
    public const string BridgeFileName = "libLibTorchSharp.so";

    private static readonly Lock Gate = new();
    private static string? _status;

    /// <summary>What <see cref="EnsureLoaded"/> did (null before it ran).</summary>
    public static string? Status => _status;

    /// <summary>
    /// Patches the bridge where needed (see the file header) and initialises LibTorch's CPU backend. Safe to call
    /// many times and from many threads; returns a one-line account of what was done.
    /// </summary>
    /// <exception cref="InvalidOperationException">LibTorch could not be loaded; the message says why and what to do.</exception>
    public static string EnsureLoaded()
    {
        lock (Gate)
        {
            if (_status != null) return _status;
            string status = OperatingSystem.IsLinux() ? PrepareLinux() : "no loader fix needed on this operating system";
            status += "; " + PrepareOpenMp();
            try
            {
                TorchSharp.torch.InitializeDeviceType(TorchSharp.DeviceType.CPU);
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                throw new InvalidOperationException(
                    $"LibTorch (TorchSharp 0.107, package TorchSharp-cpu) could not be loaded: {e.Message} " +
                    $"[loader fix: {status}]", e);
            }
            _status = status;
            return status;
        }
    }

    /// <summary>The OpenMP wait policy LibTorch starts with: PASSIVE unless the environment already names one.</summary>
    private static string PrepareOpenMp()
    {
        const string name = "OMP_WAIT_POLICY";
        if (Environment.GetEnvironmentVariable(name) is { Length: > 0 } given) return $"{name}={given} (as set)";
        Environment.SetEnvironmentVariable(name, "PASSIVE");
        // .NET keeps its own copy of the environment on Unix; OpenMP reads the C library's.
        if (!OperatingSystem.IsWindows() && SetEnv(name, "PASSIVE", 0) != 0) return $"{name} could not be set";
        return $"{name}=PASSIVE";
    }

    [DllImport("libc", EntryPoint = "setenv", CharSet = CharSet.Ansi, BestFitMapping = false, ThrowOnUnmappableChar = true)]
    private static extern int SetEnv(string name, string value, int overwrite);

    private static string PrepareLinux()
    {
        string? libstdcxx = FindLoadedLibStdCxx();
        if (libstdcxx == null) return "libstdc++ not found in the process; bridge left as shipped";
        var provided = ElfVersionTable.Load(libstdcxx).Definitions;
        if (provided.Contains(RequiredGlibcxx)) return $"{libstdcxx} provides {RequiredGlibcxx}; bridge left as shipped";

        string bridge = FindBridge()
            ?? throw new InvalidOperationException(
                $"{BridgeFileName} was not found next to TorchSharp.dll or in the application's native search folders; " +
                "reference the TorchSharp-cpu package (or TorchSharp-cuda-linux) from the application that loads PluginMoE.Tensors.Torch");
        return PatchBridge(bridge, libstdcxx);
    }

    /// <summary>
    /// Marks the bridge's <see cref="RequiredGlibcxx"/> requirement weak in place (through a temporary file and an
    /// atomic rename, so a process that mapped the old file keeps it). Refuses files inside the NuGet cache.
    /// </summary>
    /// <param name="bridge">Path of the application's copy of <see cref="BridgeFileName"/>.</param>
    /// <param name="libstdcxx">The libstdc++ in use (for the status line).</param>
    /// <returns>A one-line account.</returns>
    public static string PatchBridge(string bridge, string libstdcxx)
    {
        var table = ElfVersionTable.Load(bridge);
        if (!table.Needs.Any(n => n.Version == RequiredGlibcxx && !n.Weak))
            return $"{bridge}: {RequiredGlibcxx} requirement already weak or absent ({libstdcxx} lacks it)";
        if (IsInNuGetCache(bridge))
            throw new InvalidOperationException(
                $"{bridge} needs {RequiredGlibcxx}, which {libstdcxx} lacks, and it lies in the NuGet package cache, which " +
                "PluginMoE does not modify; run the application from its build output (dotnet build copies the natives there) " +
                "or install a libstdc++ from GCC 13 or newer");
        table.MarkWeak(RequiredGlibcxx);
        string tmp = $"{bridge}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp";
        File.WriteAllBytes(tmp, table.Image);
        File.Move(tmp, bridge, overwrite: true);
        return $"{bridge}: marked the {RequiredGlibcxx} requirement weak ({libstdcxx} lacks it)";
    }

    /// <summary>The libstdc++ mapped into this process (the .NET host links it), else the one in the usual folders.</summary>
    public static string? FindLoadedLibStdCxx()
    {
        try
        {
            foreach (var line in File.ReadLines("/proc/self/maps"))
            {
                int slash = line.IndexOf('/');
                if (slash < 0) continue;
                string path = line[slash..];
                if (Path.GetFileName(path).StartsWith("libstdc++.so", StringComparison.Ordinal) && File.Exists(path)) return path;
            }
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
        foreach (var dir in new[] { "/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu", "/lib/aarch64-linux-gnu", "/usr/lib/aarch64-linux-gnu", "/usr/lib64", "/lib64", "/usr/lib" })
        {
            string p = Path.Combine(dir, "libstdc++.so.6");
            if (File.Exists(p)) return p;
        }
        return null;
    }

    /// <summary>The bridge the runtime will load: the application's native search folders first, then TorchSharp.dll's folder.</summary>
    public static string? FindBridge()
    {
        var dirs = new List<string>();
        if (AppContext.GetData("NATIVE_DLL_SEARCH_DIRECTORIES") is string search)
            dirs.AddRange(search.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries));
        string? torchDir = Path.GetDirectoryName(typeof(TorchSharp.torch).Assembly.Location);
        if (!string.IsNullOrEmpty(torchDir))
        {
            dirs.Add(Path.Combine(torchDir, "runtimes", RuntimeInformation.RuntimeIdentifier, "native"));
            dirs.Add(Path.Combine(torchDir, "runtimes", "linux-" + RuntimeInformation.ProcessArchitecture.ToString().ToLowerInvariant(), "native"));
            dirs.Add(torchDir);
        }
        foreach (var d in dirs)
        {
            string p = Path.Combine(d, BridgeFileName);
            if (File.Exists(p)) return Path.GetFullPath(p);
        }
        return null;
    }

    private static bool IsInNuGetCache(string path)
    {
        string full = Path.GetFullPath(path);
        string? env = Environment.GetEnvironmentVariable("NUGET_PACKAGES");
        if (!string.IsNullOrEmpty(env) && full.StartsWith(Path.GetFullPath(env), StringComparison.Ordinal)) return true;
        return full.Contains($"{Path.DirectorySeparatorChar}.nuget{Path.DirectorySeparatorChar}packages{Path.DirectorySeparatorChar}", StringComparison.Ordinal);
    }
}
