// Lists and removals across the configuration layers: a list given by a higher layer (a child profile, a
// PLUGINMOE__ variable, a command-line override) replaces the lower layer's list whole, whatever its length or
// form (JSON array, "a,b", Key:0 items); a child profile's null removes an inherited key (a variant, a list), the
// resolved settings (`pluginmoe config`) show it gone, and a null that removes nothing, or a removal that leaves
// the settings inconsistent, is reported naming the profile file and the key.
using PluginMoE.Core.Composition;
using System.Text.Json.Nodes;
using PluginMoE.Host.Configuration;
using PluginMoE.Host.Tests.Support;

namespace PluginMoE.Host.Tests.Configuration;

[Collection(Cli.CliCollection.Name)]
public sealed class ListsAndRemovalTests : IDisposable
{
    private readonly CliHarness _cli = new();

    public ListsAndRemovalTests() => _cli.Write("profiles/base.json", """
        {
          "Run": { "Seeds": [ 1, 2, 3 ], "Stages": [ "seed", "branch", "upcycle", "finetune", "extend", "evaluate", "report" ] },
          "Recipe": {
            "ReferenceVariant": "linear",
            "Variants": {
              "nexus": { "Merge": "nexus", "Router": "nexus" },
              "linear": { "Merge": "btx", "Router": "linear", "TopK": 2 }
            },
            "Extend": { "Domain": "c-headers", "Budgets": [ 0, 50, 150 ] }
          }
        }
        """);

    public void Dispose() => _cli.Dispose();

    private LayeredConfiguration Build(string? profile, params string[] overrides) => LayeredConfiguration.Build(new ConfigurationRequest
    {
        Profile = profile,
        HostDirectory = _cli.HostDirectory,
        WorkingDirectory = _cli.WorkingDirectory,
        Environment = _cli.Environment,
        Overrides = overrides,
    });

    private HostSettings Load(string? profile, params string[] overrides) => HostSettings.Load(Build(profile, overrides));

    [Fact]
    public void ShorterListOnTheCommandLine_ReplacesTheProfilesList()
    {
        Assert.Equal([1L, 2, 3], Load("base").Run.Seeds);
        Assert.Equal([1L], Load("base", "--Run:Seeds=1").Run.Seeds);
        Assert.Equal([4L, 5], Load("base", "--Run:Seeds=4,5").Run.Seeds);
        Assert.Equal([7L], Load("base", "--Run:Seeds:0=7").Run.Seeds);
        Assert.Equal([10L], Load("base", "--Recipe:Extend:Budgets=10").Recipe.Extend!.Budgets);
        Assert.Equal([0L, 25], Load("base", "--Recipe:Extend:Budgets:0=0", "--Recipe:Extend:Budgets:1=25").Recipe.Extend!.Budgets);
        Assert.Equal(["seed"], Load("base", "--Run:Stages=seed").Run.Stages);
        Assert.Equal(["seed", "branch"], Load("base", "--Run:Stages", "seed,branch").Run.Stages);
        // A list of the defaults file (Run:Stages = [train]) is replaced by the profile's, and keys beside it stay.
        var settings = Load("base", "--Run:Seeds=1");
        Assert.Equal("runs", settings.Run.RunsRoot);
        Assert.Equal("c-headers", settings.Recipe.Extend!.Domain);
    }

    [Fact]
    public void ListInAnEnvironmentVariable_ReplacesTheProfilesList_AndAnOverrideReplacesThatOne()
    {
        _cli.Environment["PLUGINMOE__Run__Seeds__0"] = "5";
        _cli.Environment["PLUGINMOE__Recipe__Extend__Budgets"] = "20";
        var settings = Load("base");
        Assert.Equal([5L], settings.Run.Seeds);
        Assert.Equal([20L], settings.Recipe.Extend!.Budgets);
        _cli.Environment["PLUGINMOE__Run__Seeds"] = "8,9";
        _cli.Environment.Remove("PLUGINMOE__Run__Seeds__0");
        Assert.Equal([8L, 9], Load("base").Run.Seeds);
        Assert.Equal([6L], Load("base", "--Run:Seeds:0=6").Run.Seeds);
    }

    [Fact]
    public void ChildProfile_ListReplacesTheParents_AndNullRemovesAVariantAndAList()
    {
        string child = _cli.Write("profiles/child.json", """
            {
              "Extends": "base",
              "Run": { "Seeds": null, "Stages": [ "evaluate" ] },
              "Recipe": { "ReferenceVariant": null, "Variants": { "nexus": null }, "Extend": { "Budgets": [ 5 ] } }
            }
            """);
        var built = Build("child");
        var settings = HostSettings.Load(built);
        Assert.Empty(settings.Run.Seeds);
        Assert.Equal([1L], settings.Run.EffectiveSeeds());           // Run:Seed of the defaults
        Assert.Equal(["evaluate"], settings.Run.Stages);
        Assert.Equal(["linear"], settings.Recipe.Variants.Keys);
        Assert.Null(settings.Recipe.ReferenceVariant);
        Assert.Equal([5L], settings.Recipe.Extend!.Budgets);
        Assert.Equal(["Run:Seeds", "Recipe:ReferenceVariant", "Recipe:Variants:nexus"], built.RemovedKeys.Select(kv => kv.Key));
        Assert.All(built.RemovedKeys, kv => Assert.Equal(child, kv.Value));
    }

    [Fact]
    public void ConfigCommand_PrintsTheResolvedSettings_WithoutTheRemovedVariant()
    {
        string child = _cli.Write("profiles/child.json", """{ "Extends": "base", "Recipe": { "ReferenceVariant": null, "Variants": { "nexus": null } } }""");
        var (code, output, error) = _cli.Run("config", "--profile", "child", "--Run:Seeds=4");
        Assert.True(code == 0, error);
        var json = JsonNode.Parse(output)!;
        Assert.Equal(["linear"], json["Recipe"]!["Variants"]!.AsObject().Select(kv => kv.Key));
        Assert.Equal([4L], json["Run"]!["Seeds"]!.AsArray().Select(n => n!.GetValue<long>()));
        Assert.Equal("child", (string?)json["Profile"]!["Name"]);
        Assert.Contains($"removed with null: Recipe:Variants:nexus (in {child})", error);
        Assert.Contains($"profile file: {child}", error);
    }

    [Fact]
    public void NullThatRemovesNothing_NamesTheFileTheKeyAndTheInheritedNames()
    {
        string child = _cli.Write("profiles/child.json", """{ "Extends": "base", "Recipe": { "Variants": { "nexsu": null } } }""");
        var e = Assert.Throws<ConfigurationException>(() => Build("child"));
        Assert.Equal(
            $"profile '{child}': Recipe:Variants:nexsu is null, which removes an inherited setting, but neither the profiles it extends nor the defaults set it " +
            "(Recipe:Variants has nexus, linear; did you mean 'nexus'?); remove that line, or write the name of a setting that is inherited", e.Message);

        var (code, _, error) = _cli.Run("config", "--profile", "child");
        Assert.Equal(2, code);
        Assert.Contains($"pluginmoe: error: profile '{child}': Recipe:Variants:nexsu is null", error);
    }

    [Fact]
    public void RemovingAVariantTheProfileStillReferences_IsAnErrorThatNamesTheRemoval()
    {
        string child = _cli.Write("profiles/child.json", """{ "Extends": "base", "Recipe": { "Variants": { "linear": null } } }""");
        var e = Assert.Throws<ConfigurationException>(() => Load("child"));
        Assert.Contains("Recipe:ReferenceVariant: value 'linear' is not allowed: it is not a variant; the variants are nexus", e.Message);
        Assert.EndsWith($"; removed with null: Recipe:Variants:linear (in '{child}')", e.Message);
        Assert.Contains($"in profile 'child' ({child})", e.Message);
    }

    [Fact]
    public void SettingsTree_ListItemsOfOneLayer_FormOneList_AndSectionsOfListsStayWhole()
    {
        var tree = JsonNode.Parse("""{ "Model": { "Moe": { "ExpertGroups": [ { "Expert": "swiglu", "Count": 3 }, { "Expert": "null", "Count": 1 } ] } } }""")!.AsObject();
        SettingsTree.Apply(tree, [new("Model:Moe:ExpertGroups:0:Expert", "swiglu"), new("Model:Moe:ExpertGroups:0:Count", "2")]);
        Assert.Equal("""{"Model":{"Moe":{"ExpertGroups":[{"Expert":"swiglu","Count":"2"}]}}}""", tree.ToJsonString());
        Assert.Equal([new("Model:Moe:ExpertGroups:0:Expert", "swiglu"), new KeyValuePair<string, string?>("Model:Moe:ExpertGroups:0:Count", "2")],
            SettingsTree.Flatten(tree));
    }
}
