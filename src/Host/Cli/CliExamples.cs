// The example command lines each command's --help shows. They are run as written by the test suite
// (HelpExamplesTests, with small step counts), so an example that fails is a failing test.
namespace PluginMoE.Host.Cli;

/// <summary>Examples shown under "Examples:" in <c>--help</c>, by command path (<c>""</c> is the root command).</summary>
public static class CliExamples
{
    /// <summary>The heading that precedes the examples in a command's description.</summary>
    public const string Heading = "Examples:";

    /// <summary>Example command lines (starting with <c>pluginmoe</c>), by command path such as <c>run</c> or <c>plugins list</c>.</summary>
    public static IReadOnlyDictionary<string, IReadOnlyList<string>> ByCommand { get; } = new Dictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal)
    {
        [""] =
        [
            "pluginmoe run --profile quickstart",
            "pluginmoe plugins list",
        ],
        ["run"] =
        [
            "pluginmoe run --profile quickstart --run-dir runs/quickstart",
            "pluginmoe run --profile quickstart --Run:Seeds=1,2 --Recipe:FinetuneSteps=300 --run-dir runs/two-seeds",
            "pluginmoe run --profile train-small --Training:Steps=50 --Model:Moe:TopK=1",
            "pluginmoe run --profile quickstart --run-dir runs/recipe --stages seed",
            "pluginmoe run --profile quickstart --run-dir runs/recipe --stages branch --domain python",
            "pluginmoe run --profile quickstart --run-dir runs/recipe --stages branch --parallel 2",
        ],
        ["score"] =
        [
            "pluginmoe score --checkpoint runs/quickstart/finetune/nexus/model --text README.md",
            "pluginmoe score --checkpoint runs/quickstart/finetune/nexus/model --text README.md --context 64 --json",
        ],
        ["generate"] =
        [
            "pluginmoe generate --checkpoint runs/quickstart/finetune/nexus/model --prompt \"def \" --max-tokens 100 --seed 1",
        ],
        ["export"] =
        [
            "pluginmoe export --checkpoint runs/quickstart/finetune/nexus/model --out runs/quickstart/export",
        ],
        ["merge"] =
        [
            "pluginmoe merge --strategy sparse-upcycle --seed runs/quickstart/seed/dense/model --num-experts 4 --out runs/upcycled",
        ],
        ["extend"] =
        [
            "pluginmoe extend --moe runs/upcycled --expert runs/quickstart/branch/python/model --domain python --out runs/extended",
        ],
        ["serve"] =
        [
            "pluginmoe serve --checkpoint runs/quickstart/finetune/nexus/model --urls http://127.0.0.1:0 --check",
        ],
        ["config"] =
        [
            "pluginmoe config --profile quickstart",
            "pluginmoe config --profile quickstart --Run:Seeds=3 --Recipe:Variants:nexus:TopK=2",
        ],
        ["plugins list"] =
        [
            "pluginmoe plugins list --profile quickstart",
            "pluginmoe plugins list --Plugins:Directories:0=my-plugins",
        ],
    };
}
