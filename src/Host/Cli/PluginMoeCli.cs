// The pluginmoe command line (System.CommandLine): run, score, generate, export, plugins list and serve, with a shared
// --verbose flag; parse errors exit with code 2, no arguments at all print the help. Each command's help ends with
// examples (CliExamples). A Debug build warns once on stderr. Tests invoke it in process with captured output.
using System.CommandLine;
using System.CommandLine.Help;
using System.CommandLine.Invocation;
using PluginMoE.Core.Recipe.Stages;

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
            ConfigCommand.Create(env, verbose, runner),
            MergeCommand.Create(env, verbose),
            ExtendCommand.Create(env, verbose),
            Serve.ServeCommand.Create(env, verbose),
        };
        foreach (var help in Root.Options.OfType<HelpOption>())
            if (help.Action is SynchronousCommandLineAction action)
                help.Action = new HelpWithExamples(action);
    }

    /// <summary>The root command.</summary>
    public RootCommand Root { get; }

    /// <summary>Parses and runs <paramref name="args"/>; returns the exit code.</summary>
    public async Task<int> InvokeAsync(IReadOnlyList<string> args, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(args);
        if (_env.DebugBuild) _env.Error.WriteLine(BuildInfo.DebugWarning);
        // `pluginmoe` alone asks what the tool does: the answer is the help.
        var parse = Root.Parse(args.Count == 0 ? ["--help"] : args);
        // Help is shown even when the command line lacks required options (`pluginmoe score --help`).
        if (parse.Errors.Count > 0 && parse.Action is not HelpWithExamples)
        {
            _env.Error.WriteLine($"pluginmoe: usage error: {string.Join("; ", parse.Errors.Select(e => e.Message))} (see pluginmoe --help)");
            return ExitCodes.UsageError;
        }
        // Signals are handled here (StopSignal), not by System.CommandLine: its handler returned a forced exit code two
        // seconds after a signal, while a run was still saving its checkpoint, and threw from the signal handler on a
        // second one ("transition a task to a final state"), as happens under `dotnet run`.
        using var cancellation = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        using var listening = _env.HandleConsoleSignals ? _env.Stop.Listen(cancellation) : null;
        var configuration = new InvocationConfiguration { Output = _env.Out, Error = _env.Error, ProcessTerminationTimeout = null };
        return await parse.InvokeAsync(configuration, cancellation.Token).ConfigureAwait(false);
    }

    /// <summary>The standard help, then the command's examples (<see cref="CliExamples"/>).</summary>
    private sealed class HelpWithExamples(SynchronousCommandLineAction help) : SynchronousCommandLineAction
    {
        public override int Invoke(ParseResult parseResult)
        {
            int code = help.Invoke(parseResult);
            var path = new List<string>();
            for (var c = parseResult.CommandResult; c is not null && c.Command is not RootCommand; c = c.Parent as System.CommandLine.Parsing.CommandResult)
                path.Insert(0, c.Command.Name);
            if (CliExamples.ByCommand.TryGetValue(string.Join(' ', path), out var examples))
            {
                var output = parseResult.InvocationConfiguration.Output;
                output.WriteLine(CliExamples.Heading);
                foreach (var example in examples) output.WriteLine($"  {example}");
                output.WriteLine();
            }
            return code;
        }
    }
}
