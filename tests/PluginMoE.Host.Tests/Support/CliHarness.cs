// Runs the pluginmoe CLI in process against a temporary host folder (appsettings.json, profiles/) and working
// directory, with captured output, a fixed environment and the test plugins.
using PluginMoE.Host.Cli;

namespace PluginMoE.Host.Tests.Support;

public sealed class CliHarness : IDisposable
{
    private readonly TempFolder _root = new();

    public CliHarness()
    {
        Directory.CreateDirectory(HostDirectory);
        Directory.CreateDirectory(WorkingDirectory);
        // The real defaults, so that tests exercise what users get.
        File.Copy(Path.Combine(AppContext.BaseDirectory, "appsettings.json"), Path.Combine(HostDirectory, "appsettings.json"));
    }

    public string HostDirectory => _root.Combine("host");

    public string WorkingDirectory => _root.Combine("work");

    public Dictionary<string, string?> Environment { get; } = [];

    public string Write(string relative, string text) => _root.Write(Path.Combine("work", relative), text);

    public (int Code, string Out, string Error) Run(params string[] args) => RunWith(env => env, CancellationToken.None, args);

    // Like Run, with the environment adjusted by `configure` (e.g. output that cancels) and a cancellation token.
    public (int Code, string Out, string Error) RunWith(Func<CliEnvironment, CliEnvironment> configure, CancellationToken cancellationToken, params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var env = configure(new CliEnvironment
        {
            Out = output,
            Error = error,
            HostDirectory = HostDirectory,
            WorkingDirectory = WorkingDirectory,
            Environment = Environment,
            LoadPlugins = dirs => dirs.Skip(1).Any() ? PluginMoE.Host.Plugins.PluginLoader.Load(dirs.Skip(1)) : TestPlugins.Instance.Registry,
            ProgressInterval = TimeSpan.Zero,
            HandleConsoleSignals = false,
            DebugBuild = false, // the Debug-build warning has its own test; other tests read stderr
        });
        int code = new PluginMoeCli(env).InvokeAsync(args, cancellationToken).GetAwaiter().GetResult();
        return (code, env.Out is StringWriter ? output.ToString() : env.Out.ToString() ?? "", error.ToString());
    }

    public void Dispose() => _root.Dispose();
}
