// End to end in headless Chromium (Debian's chromium, installed by tools/install-chromium.sh when missing, driven by
// Microsoft.Playwright through the system executable): the page routes typed text, colours tokens by expert,
// recolours them per layer, streams a generation, and renders a screenshot with real content.
using System.Diagnostics;
using Microsoft.Playwright;

namespace PluginMoE.Serve.Tests;

public class BrowserTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private const string Chromium = "/usr/bin/chromium";

    private static void EnsureChromium()
    {
        if (File.Exists(Chromium)) return;
        string script = Path.Combine(TestCheckpoint.RepositoryRoot(), "tools", "install-chromium.sh");
        using var p = Process.Start(new ProcessStartInfo("sh", [script]) { RedirectStandardOutput = true, RedirectStandardError = true })!;
        string err = p.StandardError.ReadToEnd();
        p.WaitForExit();
        Assert.True(p.ExitCode == 0 && File.Exists(Chromium), $"{script} could not install chromium (exit {p.ExitCode}): {err}");
    }

    private static async Task<string[]> TokenColours(IPage page) =>
        await page.EvalOnSelectorAllAsync<string[]>("#tokens .tok", "spans => spans.map(s => getComputedStyle(s).backgroundColor)");

    private static async Task<string[]> TokenExperts(IPage page) =>
        await page.EvalOnSelectorAllAsync<string[]>("#tokens .tok", "spans => spans.map(s => s.dataset.expert)");

    [Fact]
    public async Task Page_ColoursTokensByExpert_PerLayer_StreamsAGeneration_AndRendersContent()
    {
        EnsureChromium();
        using var playwright = await Playwright.CreateAsync();
        string profile = Directory.CreateTempSubdirectory("pluginmoe-chromium-").FullName;
        try
        {
            await using var context = await playwright.Chromium.LaunchPersistentContextAsync(profile, new()
            {
                ExecutablePath = Chromium,
                Headless = true,
                Args = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
                ViewportSize = new() { Width = 1280, Height = 860 },
            });
            var page = context.Pages.Count > 0 ? context.Pages[0] : await context.NewPageAsync();
            var errors = new List<string>();
            page.PageError += (_, e) => errors.Add(e);
            await page.GotoAsync(fixture.Server.Address.ToString());

            // The model loads: one layer button per MoE layer, the evaluation heatmap.
            await page.WaitForSelectorAsync("#layers button[data-layer='1']");
            await page.WaitForSelectorAsync("#heatmap table.heat");
            Assert.Equal(2, await page.Locator("#heatmap tr").CountAsync() - 1);  // python, licenses

            await page.FillAsync("#text", "def main():\n    return 42\nPermission is hereby granted, free of charge, to any person.");
            await page.ClickAsync("#route");
            await page.WaitForSelectorAsync("#tokens .tok[data-expert]");
            var experts0 = await TokenExperts(page);
            var colours0 = await TokenColours(page);
            Assert.True(experts0.Distinct().Count() >= 2, $"layer 0 sends every token to expert {experts0[0]}");
            Assert.True(colours0.Distinct().Count() >= 2, "tokens of different experts must differ in colour");

            await page.ClickAsync("#layers button[data-layer='1']");
            var experts1 = await TokenExperts(page);
            var colours1 = await TokenColours(page);
            Assert.Equal(experts0.Length, experts1.Length);
            Assert.NotEqual(experts0, experts1);
            Assert.NotEqual(colours0, colours1);

            // Hover: the tooltip lists both layers with experts and gates.
            await page.HoverAsync("#tokens .tok >> nth=3");
            var tip = await page.InnerTextAsync("#tip");
            Assert.Contains("layer 0", tip);
            Assert.Contains("layer 1", tip);
            Assert.Contains("expert ", tip);

            // Generate: streamed tokens arrive and are routed (marked as generated).
            await page.FillAsync("#max-tokens", "24");
            await page.ClickAsync("#generate");
            await page.WaitForSelectorAsync("#tokens .tok.gen");
            await page.WaitForFunctionAsync("() => document.getElementById('status').textContent.startsWith('generated 24 tokens')");
            Assert.True(await page.Locator("#tokens .tok.gen").CountAsync() > 0);
            await page.HoverAsync("#tokens .tok >> nth=12");   // the screenshot shows a tooltip too

            string shot = Path.Combine(AppContext.BaseDirectory, "serve-explorer.png");
            byte[] png = await page.ScreenshotAsync(new() { Path = shot, FullPage = true });
            var image = PngImage.Decode(png);
            Assert.Equal(1280, image.Width);
            Assert.True(image.DistinctColours() > 200, $"the screenshot has only {image.DistinctColours()} colours");
            Assert.Empty(errors);
        }
        finally
        {
            Directory.Delete(profile, recursive: true);
        }
    }
}
