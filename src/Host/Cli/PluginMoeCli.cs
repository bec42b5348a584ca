// The pluginmoe command line (System.CommandLine): run, score, generate, export, plugins list and serve, with a shared
// --verbose flag; parse errors exit with code 2. Tests invoke it in process with captured output.
using System.CommandLine;
using PluginMoE.Host.Stages;

namespace PluginMoE.Host.Cli;

/// <summary>Builds and invokes the <c>pluginmoe</c> root command.</summary>
public sealed class PluginMoeCli
{
    private readonly CliEnvironment _env;

    /// <summary>Creates the CLI for <paramref name="env"/> with the default stages.</summary>
    public PluginMoeCli(CliEnvironment env) : this(env, StageRunner.Default) { }

    /// <summary>Creates the CLI for <paramref name="env"/> with the given stages.</summary>
    public PluginMoeCli(CliEnvironment env, StageRunner runner)
    {
        ArgumentNullException.ThrowIfNull(env);
        ArgumentNullException.ThrowIfNull(runner);
        _env = env;
        var verbose = new Option<bool>("--verbose", "-v") { Description = "Print stack traces with errors", Recursive = true };
        Root = new RootCommand("PluginMoE: build Mixture-of-Experts language models from specialised dense models")
        {
            verbose,
            RunCommand.Create(env, verbose, runner),
            ScoreCommand.Create(env, verbose),
            GenerateCommand.Create(env, verbose),
            ExportCommand.Create(env, verbose),
            PluginsCommand.Create(env, verbose),
            Serve.ServeCommand.Create(env, verbose),
        };
    }

    /// <summary>The root command.</summary>
    public RootCommand Root { get; }

    /// <summary>Parses and runs <paramref name="args"/>; returns the exit code.</summary>
    public async Task<int> InvokeAsync(IReadOnlyList<string> args, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(args);
        var parse = Root.Parse(args);
        if (parse.Errors.Count > 0)
        {
            _env.Error.WriteLine($"pluginmoe: usage error: {string.Join("; ", parse.Errors.Select(e => e.Message))} (see pluginmoe --help)");
            return ExitCodes.UsageError;
        }
        return await parse.InvokeAsync(new InvocationConfiguration { Output = _env.Out, Error = _env.Error }, cancellationToken).ConfigureAwait(false);
    }
}
