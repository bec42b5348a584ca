// Reads the shell commands shown in documentation (README fenced ```bash blocks, --help examples) and turns those that
// start with the CLI into in-process invocations: environment assignments, then `pluginmoe` or
// `dotnet run --project src/Host -c Release --`, then the arguments (quotes as a POSIX shell reads them).
using System.Text;
using System.Text.RegularExpressions;

namespace PluginMoE.Host.Tests.Support;

/// <summary>A command line from the docs that starts with the CLI.</summary>
/// <param name="Text">The line as written.</param>
/// <param name="Environment">Its leading NAME=value assignments.</param>
/// <param name="Args">The CLI's arguments.</param>
public sealed record CliCommand(string Text, IReadOnlyDictionary<string, string?> Environment, IReadOnlyList<string> Args)
{
    /// <summary>The recipe's step counts, which <see cref="WithSteps"/> sets as well.</summary>
    private static readonly string[] RecipeSteps = ["--Recipe:SeedSteps=", "--Recipe:BranchSteps=", "--Recipe:FinetuneSteps="];

    /// <summary>This command with every training step count (Training:Steps and the recipe's) set to <paramref name="steps"/> (appended to <c>run</c> when it has none).</summary>
    public CliCommand WithSteps(int steps)
    {
        if (Args.Count == 0 || Args[0] != "run") return this;
        var env = Environment.ToDictionary(kv => kv.Key, kv => kv.Key == "PLUGINMOE__Training__Steps" ? steps.ToString(System.Globalization.CultureInfo.InvariantCulture) : kv.Value);
        bool given = env.ContainsKey("PLUGINMOE__Training__Steps");
        var args = new List<string>();
        foreach (var a in Args)
        {
            if (a.StartsWith("--Training:Steps=", StringComparison.Ordinal)) { args.Add($"--Training:Steps={steps}"); given = true; }
            else args.Add(a);
        }
        if (!given) args.Add($"--Training:Steps={steps}");
        foreach (var key in RecipeSteps)
        {
            int at = args.FindIndex(a => a.StartsWith(key, StringComparison.Ordinal));
            if (at >= 0) args[at] = $"{key}{steps}";
            else args.Add($"{key}{steps}");
        }
        return this with { Environment = env, Args = args };
    }
}

/// <summary>A fenced ```bash block and the test marker before it (<c>&lt;!-- test: ... --&gt;</c>), if any.</summary>
public sealed record ShellBlock(int Line, IReadOnlyList<string> Lines, string? Marker)
{
    /// <summary>The lines of the block that start with the CLI.</summary>
    public IReadOnlyList<CliCommand> CliCommands => [.. Lines.Select(ShellCommands.ParseCli).OfType<CliCommand>()];
}

public static partial class ShellCommands
{
    /// <summary>The CLI as the README runs it from a checkout.</summary>
    public const string DotnetRunPrefix = "dotnet run --project src/Host -c Release --";

    /// <summary>Every fenced bash block of <paramref name="markdown"/>.</summary>
    public static IReadOnlyList<ShellBlock> Blocks(string markdown)
    {
        var lines = markdown.Split('\n');
        var blocks = new List<ShellBlock>();
        string? marker = null;
        for (int i = 0; i < lines.Length; i++)
        {
            var trimmed = lines[i].Trim();
            if (MarkerPattern().Match(trimmed) is { Success: true } m) { marker = m.Groups[1].Value.Trim(); continue; }
            if (trimmed != "```bash")
            {
                if (trimmed.Length > 0 && !trimmed.StartsWith("<!--", StringComparison.Ordinal)) marker = null;
                continue;
            }
            int start = i;
            var body = new List<string>();
            for (i++; i < lines.Length && lines[i].Trim() != "```"; i++)
                if (StripComment(lines[i].Trim()) is { Length: > 0 } line) body.Add(line);
            blocks.Add(new ShellBlock(start + 1, body, marker));
            marker = null;
        }
        return blocks;
    }

    /// <summary>The CLI invocation of <paramref name="line"/>, or null when the line does not start with the CLI.</summary>
    public static CliCommand? ParseCli(string line)
    {
        var words = Split(line);
        var env = new Dictionary<string, string?>();
        int i = 0;
        for (; i < words.Count && AssignmentPattern().IsMatch(words[i]); i++)
        {
            int eq = words[i].IndexOf('=', StringComparison.Ordinal);
            env[words[i][..eq]] = words[i][(eq + 1)..];
        }
        var rest = words.Skip(i).ToList();
        var prefix = DotnetRunPrefix.Split(' ');
        if (rest.Count > 0 && rest[0] == "pluginmoe") return new CliCommand(line, env, rest[1..]);
        if (rest.Count >= prefix.Length && rest.Take(prefix.Length).SequenceEqual(prefix)) return new CliCommand(line, env, rest[prefix.Length..]);
        return null;
    }

    /// <summary>Splits a command line into words as a POSIX shell does for plain words and '...' / "..." quoting.</summary>
    public static List<string> Split(string line)
    {
        var words = new List<string>();
        var word = new StringBuilder();
        bool inWord = false;
        char quote = '\0';
        foreach (char c in line)
        {
            if (quote != '\0')
            {
                if (c == quote) quote = '\0'; else word.Append(c);
                continue;
            }
            if (c is '"' or '\'') { quote = c; inWord = true; }
            else if (char.IsWhiteSpace(c))
            {
                if (inWord) words.Add(word.ToString());
                word.Clear();
                inWord = false;
            }
            else { word.Append(c); inWord = true; }
        }
        if (inWord) words.Add(word.ToString());
        return words;
    }

    // "cmd   # comment" -> "cmd" (a '#' that starts a word outside quotes).
    private static string StripComment(string line)
    {
        char quote = '\0';
        for (int i = 0; i < line.Length; i++)
        {
            char c = line[i];
            if (quote != '\0') { if (c == quote) quote = '\0'; continue; }
            if (c is '"' or '\'') quote = c;
            else if (c == '#' && (i == 0 || char.IsWhiteSpace(line[i - 1]))) return line[..i].TrimEnd();
        }
        return line;
    }

    [GeneratedRegex(@"^<!--\s*test:(.*)-->$")]
    private static partial Regex MarkerPattern();

    [GeneratedRegex(@"^[A-Za-z_][A-Za-z0-9_]*=")]
    private static partial Regex AssignmentPattern();
}
