// Runs documented commands in process as a user would from a fresh checkout: the working directory is a scratch
// folder holding a copy of README.md, the host folder is the build output (appsettings.json, profiles/, plugins/),
// and run folders get distinct timestamps.
using PluginMoE.Host.Cli;
using PluginMoE.Host.Plugins;

namespace PluginMoE.Host.Tests.Support;

public sealed class DocsCli : IDisposable
{
    private readonly TempFolder _work = new();
    private DateTimeOffset _now = new(2026, 1, 1, 12, 0, 0, TimeSpan.Zero);

    public DocsCli()
    {
        File.Copy(Repository.Readme, Path.Combine(_work.Path, "README.md"));
    }

    public string WorkingDirectory => _work.Path;

    /// <summary>Copies <paramref name="source"/> to <paramref name="relative"/> under the working directory.</summary>
    public void Copy(string source, string relative)
    {
        var target = Path.Combine(_work.Path, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(target)!);
        File.Copy(source, target, overwrite: true);
    }

    public (int Code, string Out, string Error) Run(CliCommand command)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var env = new CliEnvironment
        {
            Out = output,
            Error = error,
            HostDirectory = AppContext.BaseDirectory,
            WorkingDirectory = _work.Path,
            Environment = command.Environment,
            LoadPlugins = dirs => PluginLoader.Load(dirs),
            ProgressInterval = TimeSpan.FromHours(1),
            HandleConsoleSignals = false,
            DebugBuild = false,
            Now = () => _now = _now.AddMinutes(1),
        };
        int code = new PluginMoeCli(env).InvokeAsync(command.Args).GetAwaiter().GetResult();
        return (code, output.ToString(), error.ToString());
    }

    /// <summary>Runs <paramref name="command"/> and fails with its output unless it exits with 0.</summary>
    public string Succeeds(CliCommand command)
    {
        var (code, output, error) = Run(command);
        Assert.True(code == 0, $"`{command.Text}` (run as pluginmoe {string.Join(' ', command.Args)}) exited with {code}:\n{error}\n{output}");
        return output;
    }

    public void Dispose() => _work.Dispose();
}
