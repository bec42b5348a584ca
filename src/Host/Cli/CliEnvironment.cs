// What the CLI runs against: its output streams, folders, environment, plugin discovery and clock. The
// process gets the real ones; tests capture output and pass their own plugins.
using PluginMoE.Core.Recipe.Services;
using PluginMoE.Host.Configuration;
using PluginMoE.Host.Console;
using PluginMoE.Host.Plugins;
using Spectre.Console;

namespace PluginMoE.Host.Cli;

/// <summary>The CLI's surroundings.</summary>
public sealed record CliEnvironment
{
    /// <summary>Standard output (results, progress lines).</summary>
    public required TextWriter Out { get; init; }

    /// <summary>Standard error (error paragraphs).</summary>
    public required TextWriter Error { get; init; }

    /// <summary>Folder of the host binary (appsettings.json, profiles/, plugins/).</summary>
    public string HostDirectory { get; init; } = AppContext.BaseDirectory;

    /// <summary>Working directory.</summary>
    public string WorkingDirectory { get; init; } = Directory.GetCurrentDirectory();

    /// <summary>Environment variables.</summary>
    public IReadOnlyDictionary<string, string?> Environment { get; init; } = new Dictionary<string, string?>();

    /// <summary>Discovers plugins in the given plugin directories.</summary>
    public Func<IReadOnlyList<string>, PluginRegistry> LoadPlugins { get; init; } = directories => PluginLoader.Load(directories);

    /// <summary>The plugins of the given directories, as stages see them.</summary>
    public IPluginProvider Plugins(IReadOnlyList<string> directories) => new RegistryPluginProvider(LoadPlugins(directories));

    /// <summary>The plugins <paramref name="settings"/> ask for: their directories, with <c>Plugins:Prefer</c> applied.</summary>
    public IPluginProvider Plugins(HostSettings settings) => new RegistryPluginProvider(Registry(settings));

    /// <summary>The registry of <paramref name="settings"/>' plugin directories with <c>Plugins:Prefer</c> applied.</summary>
    public PluginRegistry Registry(HostSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        return LoadPlugins(PluginDirectories(settings)).WithPreferences(settings.Plugins.Prefer);
    }

    /// <summary>The plugins folder beside the host, then the configured ones (relative to the working directory).</summary>
    public IReadOnlyList<string> PluginDirectories(HostSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        return [Path.Combine(HostDirectory, "plugins"), .. settings.Plugins.Directories.Select(d => Path.GetFullPath(d, WorkingDirectory))];
    }

    /// <summary>True when the host runs from a Debug build (the CLI then prints <see cref="BuildInfo.DebugWarning"/>).</summary>
    public bool DebugBuild { get; init; } = BuildInfo.IsDebug;

    /// <summary>True when output is a terminal (progress bars); false writes plain lines.</summary>
    public bool Interactive { get; init; }

    /// <summary>Least time between two plain progress lines.</summary>
    public TimeSpan ProgressInterval { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>The clock used to name run folders.</summary>
    public Func<DateTimeOffset> Now { get; init; } = () => DateTimeOffset.UtcNow;

    /// <summary>Whether Ctrl+C / SIGTERM stop a run through the generic host's console lifetime (false for in-process callers such as tests).</summary>
    public bool HandleConsoleSignals { get; init; } = true;

    /// <summary>The signal that stopped the command, recorded by the CLI's own listener (when <see cref="HandleConsoleSignals"/>).</summary>
    public StopSignal Stop { get; init; } = new();

    /// <summary>How a user runs this CLI again from a shell (for the "resume with:" line): <c>pluginmoe</c>, a path, or <c>dotnet path/pluginmoe.dll</c>.</summary>
    public string CommandName { get; init; } = "pluginmoe";

    /// <summary>The progress reporter for this environment.</summary>
    public IProgressReporter CreateProgress() => Interactive
        ? new SpectreProgressReporter(AnsiConsole.Console)
        : new PlainProgressReporter(Out, ProgressInterval);

    /// <summary>The real process environment.</summary>
    public static CliEnvironment FromProcess() => new()
    {
        Out = System.Console.Out,
        Error = System.Console.Error,
        Environment = Configuration.ConfigurationRequest.ProcessEnvironment(),
        Interactive = !System.Console.IsOutputRedirected && System.Environment.GetEnvironmentVariable("TERM") != "dumb",
        CommandName = ProcessCommandName(),
    };

    // The apphost by name when its folder is on PATH, else by path; `dotnet <dll>` when the host was started by the muxer.
    private static string ProcessCommandName()
    {
        string? process = System.Environment.ProcessPath;
        if (process is null) return "pluginmoe";
        if (string.Equals(Path.GetFileNameWithoutExtension(process), "dotnet", StringComparison.OrdinalIgnoreCase))
            return $"dotnet {ShellQuote.Quote(Path.Combine(AppContext.BaseDirectory, "pluginmoe.dll"))}";
        string? folder = Path.GetDirectoryName(process);
        var path = (System.Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries);
        return path.Any(p => string.Equals(Path.GetFullPath(p).TrimEnd(Path.DirectorySeparatorChar), folder, StringComparison.Ordinal))
            ? Path.GetFileNameWithoutExtension(process)
            : ShellQuote.Quote(process);
    }
}
