// A small real text corpus for training tests: this repository's own C# and Python sources, found by walking
// up from the test assembly to the folder with PluginMoE.sln and loaded with the text-folder plugin.
using PluginMoE.Abstractions.Data;
using PluginMoE.Core.Data;
using PluginMoE.Core.Text;
using PluginMoE.Plugins.Datasets;

namespace PluginMoE.Core.Tests.Training;

internal static class RepositoryCorpus
{
    private static readonly Lazy<DatasetParts> Parts = new(Load);

    public static string Root { get; } = FindRoot();

    /// <summary>Two domains of about 100 KB each: "csharp" (the tensor engine) and "python" (the reference scripts).</summary>
    public static DatasetParts Documents => Parts.Value;

    public static TokenCorpus Train => TokenCorpus.Build(Documents.Train, ByteTokenizer.Instance, separator: '\n');

    public static TokenCorpus Validation => TokenCorpus.Build(Documents.Validation, ByteTokenizer.Instance, separator: '\n');

    private static DatasetParts Load()
    {
        var options = new TextFolderOptions
        {
            Domains = new()
            {
                ["csharp"] = ["src/Tensors/**/*.cs"],
                ["python"] = ["tools/**/*.py", "tests/**/*.py"],
            },
            MaxFilesPerDomain = 40,
            MaxBytesPerFile = 6000,
        };
        var docs = new TextFolderLoader().Load(new DatasetRequest { Options = options, BaseDirectory = Root });
        return DatasetSplit.Split(docs, 0.15);
    }

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "PluginMoE.sln"))) return dir.FullName;
        throw new DirectoryNotFoundException($"no PluginMoE.sln above {AppContext.BaseDirectory}");
    }
}
