// The repository checkout the tests run from (README.md, samples/, src/).
namespace PluginMoE.Host.Tests.Support;

public static class Repository
{
    public static string Root { get; } = Find();

    public static string Readme => Path.Combine(Root, "README.md");

    private static string Find()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "PluginMoE.sln"))) return dir.FullName;
        throw new InvalidOperationException($"no PluginMoE.sln above {AppContext.BaseDirectory}");
    }
}
