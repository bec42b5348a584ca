// Every example that `--help` shows runs as written (with 2 training steps instead of the full runs), in the
// order the help pages list them: `pluginmoe --help`, then each command's.
using System.CommandLine;
using PluginMoE.Host.Cli;
using PluginMoE.Host.Tests.Support;

namespace PluginMoE.Host.Tests.Cli;

[Collection(CliCollection.Name)]
public sealed class HelpExamplesTests
{
    private static IEnumerable<string[]> CommandPaths(Command command, string[] path)
    {
        yield return path;
        foreach (var sub in command.Subcommands)
            foreach (var p in CommandPaths(sub, [.. path, sub.Name])) yield return p;
    }

    private static List<string> Examples(DocsCli cli, string[] path)
    {
        var output = cli.Succeeds(new CliCommand("--help", new Dictionary<string, string?>(), [.. path, "--help"]));
        return [.. output.Split('\n').SkipWhile(l => l.TrimEnd() != CliExamples.Heading).Skip(1)
            .TakeWhile(l => l.StartsWith("  ", StringComparison.Ordinal)).Select(l => l.Trim())];
    }

    [Fact]
    public void EveryHelpExample_RunsAsWritten()
    {
        using var cli = new DocsCli();
        var root = new PluginMoeCli(new CliEnvironment { Out = TextWriter.Null, Error = TextWriter.Null }).Root;
        int ran = 0;
        foreach (var path in CommandPaths(root, []))
        {
            var examples = Examples(cli, path);
            bool leaf = !CommandPaths(root, []).Any(p => p.Length == path.Length + 1 && p.Take(path.Length).SequenceEqual(path));
            Assert.True(!leaf || examples.Count > 0, $"`pluginmoe {string.Join(' ', path)} --help` shows no examples");
            foreach (var example in examples)
            {
                var command = ShellCommands.ParseCli(example);
                Assert.True(command is not null, $"help example '{example}' does not start with pluginmoe");
                cli.Succeeds(command.WithSteps(2));
                ran++;
            }
        }
        Assert.True(ran >= 8, $"ran {ran} help examples");
    }
}
