// `pluginmoe serve` through the CLI: it serves until cancelled, and bad options are usage errors naming the option.
using System.Net;
using System.Text.RegularExpressions;
using PluginMoE.Host.Cli;

namespace PluginMoE.Serve.Tests;

public class ServeCommandTests
{
    private sealed class SyncWriter : StringWriter
    {
        public override void WriteLine(string? value) { lock (this) base.WriteLine(value); }
        public override string ToString() { lock (this) return base.ToString(); }
    }

    [Fact]
    public async Task Serve_ListensOnTheGivenUrl_UntilCancelled()
    {
        var output = new SyncWriter();
        var cli = new PluginMoeCli(TestCheckpoint.Environment(output));
        using var cts = new CancellationTokenSource();
        var run = Task.Run(() => cli.InvokeAsync(["serve", "--checkpoint", TestCheckpoint.Directory, "--urls", "http://127.0.0.1:0"], cts.Token));
        Match match = Match.Empty;
        for (int i = 0; i < 1200 && !run.IsCompleted && !(match = Regex.Match(output.ToString(), @"on (http://127\.0\.0\.1:\d+)")).Success; i++)
            await Task.Delay(50);
        Assert.True(match.Success, output.ToString());
        using var client = new HttpClient { BaseAddress = new Uri(match.Groups[1].Value) };
        using var health = await client.GetAsync("/healthz");
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        await cts.CancelAsync();
        Assert.Equal(ExitCodes.Success, await run);
        Assert.Contains("pluginmoe serve: stopped", output.ToString());
    }

    [Fact]
    public async Task Serve_Check_AnswersOneHealthzAndStops()
    {
        var output = new StringWriter();
        int code = await new PluginMoeCli(TestCheckpoint.Environment(output)).InvokeAsync(["serve", "--checkpoint", TestCheckpoint.Directory, "--urls", "http://127.0.0.1:0", "--check"]);
        Assert.Equal(ExitCodes.Success, code);
        Assert.Contains("GET /healthz -> 200 {\"status\":\"ok\"", output.ToString());
        Assert.Contains("pluginmoe serve: stopped", output.ToString());
    }

    [Theory]
    [InlineData("--urls", "ftp://127.0.0.1:1", "--urls: 'ftp://127.0.0.1:1' is not an http:// URL")]
    [InlineData("--max-concurrent", "0", "--max-concurrent must be at least 1, got 0")]
    public async Task Serve_BadOptions_AreUsageErrors(string option, string value, string message)
    {
        var output = new StringWriter();
        int code = await new PluginMoeCli(TestCheckpoint.Environment(output)).InvokeAsync(["serve", "--checkpoint", TestCheckpoint.Directory, option, value]);
        Assert.Equal(ExitCodes.UsageError, code);
        Assert.Contains(message, output.ToString());
    }

    [Fact]
    public async Task Serve_MissingCheckpoint_IsAUsageErrorNamingTheFolder()
    {
        var output = new StringWriter();
        int code = await new PluginMoeCli(TestCheckpoint.Environment(output)).InvokeAsync(["serve", "--checkpoint", "no-such-folder"]);
        Assert.Equal(ExitCodes.UsageError, code);
        Assert.Contains("--checkpoint: folder", output.ToString());
        Assert.Contains("no-such-folder' does not exist", output.ToString());
    }
}
