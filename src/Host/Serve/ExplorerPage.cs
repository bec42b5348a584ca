// The routing explorer page (Page/explorer.html, an embedded resource: plain HTML/CSS/JS, no build step, no CDN).
namespace PluginMoE.Host.Serve;

/// <summary>The page served at <c>/</c>.</summary>
public static class ExplorerPage
{
    /// <summary>Resource name of the page in the host assembly.</summary>
    public const string ResourceName = "PluginMoE.Host.Serve.explorer.html";

    private static readonly Lazy<string> Text = new(() =>
    {
        using var stream = typeof(ExplorerPage).Assembly.GetManifestResourceStream(ResourceName)
            ?? throw new InvalidOperationException($"the host assembly lacks the embedded page {ResourceName}; rebuild PluginMoE.Host");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    });

    /// <summary>The page's HTML.</summary>
    public static string Html => Text.Value;
}
