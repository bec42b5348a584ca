// The "resume with:" command printed after Ctrl+C: the same profile, stages, overrides and PLUGINMOE_ variables,
// --run-dir naming the run folder, shell-quoted so it can be pasted as it is.
using PluginMoE.Host.Cli;

namespace PluginMoE.Host.Tests.Cli;

public sealed class ResumeCommandTests
{
    [Fact]
    public void ResumeCommand_KeepsEverythingThatSelectsTheSettings_QuotedForAShell()
    {
        var env = new CliEnvironment
        {
            Out = TextWriter.Null,
            Error = TextWriter.Null,
            CommandName = "pluginmoe",
            Environment = new Dictionary<string, string?> { ["PLUGINMOE__Training__Steps"] = "50", ["HOME"] = "/home/me", ["PLUGINMOE_PROFILE"] = "x" },
        };
        var arguments = new RunCommand.Arguments("my profile.json", null, "train", "train", "step-00000002", ["--Model:Moe:TopK=1", "--Data:LoaderOptions:Domains:a:0=/texts/it's/*.txt"]);
        Assert.Equal(
            "PLUGINMOE_PROFILE=x PLUGINMOE__Training__Steps=50 pluginmoe run --profile 'my profile.json' --run-dir '/runs/r 1' --stages train " +
            "--Model:Moe:TopK=1 '--Data:LoaderOptions:Domains:a:0=/texts/it'\\''s/*.txt'",
            RunCommand.ResumeCommand(env, arguments, "/runs/r 1"));
    }
}
