// The README's commands run as written: every line of a fenced ```bash block that starts with the CLI
// (`pluginmoe ...` or `dotnet run --project src/Host -c Release -- ...`, after NAME=value assignments) is run in
// process from a scratch checkout, in README order, with the step counts the README's `<!-- test: steps=N -->`
// marker before the block gives. Blocks marked `<!-- test: ThirdPartyRouterSampleTests -->` need a built plugin;
// that (slow) test runs them. The README also shows Release builds only and links nothing outside the repository.
using System.Text.RegularExpressions;
using PluginMoE.Host.Tests.Support;

namespace PluginMoE.Host.Tests.Cli;

[Collection(CliCollection.Name)]
public sealed class ReadmeCommandTests
{
    internal const string SampleMarker = "ThirdPartyRouterSampleTests";

    private static readonly string Readme = File.ReadAllText(Repository.Readme);

    internal static int? Steps(ShellBlock block) =>
        block.Marker is { } m && Regex.Match(m, @"steps=(\d+)") is { Success: true } s ? int.Parse(s.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) : null;

    [Fact]
    public void EveryCliCommandInTheReadme_RunsAsWritten()
    {
        var blocks = ShellCommands.Blocks(Readme).Where(b => b.CliCommands.Count > 0).ToList();
        Assert.True(blocks.Count >= 4, $"expected the README's CLI examples, found {blocks.Count} blocks");
        using var cli = new DocsCli();
        int ran = 0;
        foreach (var block in blocks.Where(b => b.Marker?.Contains(SampleMarker, StringComparison.Ordinal) != true))
        {
            foreach (var command in block.CliCommands)
            {
                // Training runs are shortened only where the README says so, and the README must say so for each.
                Assert.True(command.Args[0] != "run" || Steps(block) is not null,
                    $"README line {block.Line}: `{command.Text}` trains; put <!-- test: steps=2 --> before its block so the test suite can run it quickly");
                cli.Succeeds(Steps(block) is { } steps ? command.WithSteps(steps) : command);
                ran++;
            }
        }
        Assert.True(ran >= 6, $"ran {ran} README commands");
    }

    [Fact]
    public void Readme_ShowsReleaseBuildsOnly()
    {
        var lines = Readme.Split('\n').Select((text, i) => (text, line: i + 1))
            .Where(l => Regex.IsMatch(l.text, @"dotnet (run|build|test|pack) ") && !l.text.Contains("-c Release", StringComparison.Ordinal)
                && !l.text.Contains("-c Debug", StringComparison.Ordinal)) // a line may name Debug to warn about it
            .ToList();
        Assert.True(lines.Count == 0, "README lines without -c Release: " + string.Join("; ", lines.Select(l => $"{l.line}: {l.text.Trim()}")));
    }

    [Fact]
    public void Readme_LinksTheRepositorysOwnDocsOnly()
    {
        Assert.DoesNotContain("../shared", Readme);
        Assert.DoesNotMatch(@"\]\(\.\./", Readme);
        Assert.Contains("](docs/methods.md)", Readme);
    }
}
