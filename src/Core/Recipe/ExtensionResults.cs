// What the recipe's extend stage measured (Nexus, "Extending with a new expert"): for every extension (a finetuned
// variant + the new-domain expert) its structure before and after (experts, router parameters), and for every
// finetuning budget the per-domain validation and test perplexity and routing; plus the seed and the new dense expert as
// reference points. Saved as extension.json by the extend stage, copied by evaluate, read by the report.
using System.Text.Json;

namespace PluginMoE.Core.Recipe;

/// <summary>All measurements of a recipe's extension.</summary>
public sealed class ExtensionResults
{
    /// <summary>File name in the extend and evaluate stages' folders.</summary>
    public const string FileName = "extension.json";

    /// <summary>The new domain.</summary>
    public string Domain { get; set; } = "";

    /// <summary>The domains of the initial mixture, in order.</summary>
    public List<string> OldDomains { get; set; } = [];

    /// <summary>Finetuning budgets (optimizer steps), ascending.</summary>
    public List<long> Budgets { get; set; } = [];

    /// <summary>Sampling share of the new domain while finetuning.</summary>
    public double NewShare { get; set; }

    /// <summary>Name of the extension relative numbers divide by (the one built from the recipe's reference variant), or null.</summary>
    public string? Reference { get; set; }

    /// <summary>
    /// Domains of the test split, in order: empty when the run holds no test windows, null when the results were measured
    /// before the extension reported the test split (then only validation figures are reported).
    /// </summary>
    public List<string>? TestDomains { get; set; }

    /// <summary>Reference models evaluated on every domain: the seed (never saw the new domain) and the new dense expert.</summary>
    public List<ModelResult> References { get; set; } = [];

    /// <summary>One entry per extension.</summary>
    public List<ExtensionInfo> Extensions { get; set; } = [];

    /// <summary>One entry per extension and budget.</summary>
    public List<ExtensionPoint> Points { get; set; } = [];

    /// <summary>Validation perplexity of <paramref name="m"/> on the new domain (NaN when not measured).</summary>
    public double NewPerplexity(ModelResult m) => m?.Perplexity.GetValueOrDefault(Domain, double.NaN) ?? double.NaN;

    /// <summary>Geometric mean of <paramref name="m"/>'s validation perplexities over the old domains.</summary>
    public double OldPerplexity(ModelResult m)
    {
        ArgumentNullException.ThrowIfNull(m);
        var values = OldDomains.Where(m.Perplexity.ContainsKey).Select(d => Math.Log(m.Perplexity[d])).ToList();
        return values.Count == 0 ? double.NaN : Math.Exp(values.Average());
    }

    /// <summary>Test perplexity of <paramref name="m"/> on the new domain (NaN when not measured).</summary>
    public double NewTestPerplexity(ModelResult m) => m?.TestPerplexity.GetValueOrDefault(Domain, double.NaN) ?? double.NaN;

    /// <summary>Geometric mean of <paramref name="m"/>'s test perplexities over the old domains (NaN when not measured).</summary>
    public double OldTestPerplexity(ModelResult m)
    {
        ArgumentNullException.ThrowIfNull(m);
        var values = OldDomains.Where(m.TestPerplexity.ContainsKey).Select(d => Math.Log(m.TestPerplexity[d])).ToList();
        return values.Count == 0 ? double.NaN : Math.Exp(values.Average());
    }

    /// <summary>Share of the new domain's expert assignments that went to expert <paramref name="expert"/>, averaged over the MoE layers (NaN for dense models).</summary>
    public double ShareTo(ModelResult m, int expert)
    {
        ArgumentNullException.ThrowIfNull(m);
        if (!m.Routing.TryGetValue(Domain, out var layers) || layers.Count == 0) return double.NaN;
        return layers.Average(l => expert < l.Fractions.Length ? l.Fractions[expert] : 0);
    }

    /// <summary>The measurement of <paramref name="extension"/> after <paramref name="budget"/> steps, or null.</summary>
    public ModelResult? At(string extension, long budget) => Points.FirstOrDefault(p => p.Extension == extension && p.Budget == budget)?.Result;

    /// <summary>Writes extension.json into <paramref name="directory"/> (through a temporary file, so it is whole or absent).</summary>
    public void Save(string directory)
    {
        string path = Path.Combine(directory, FileName), temp = path + ".partial";
        File.WriteAllText(temp, JsonSerializer.Serialize(this, new JsonSerializerOptions { WriteIndented = true }));
        File.Move(temp, path, overwrite: true);
    }

    /// <summary>Reads extension.json from <paramref name="directory"/>, or null when there is none.</summary>
    public static ExtensionResults? Load(string directory)
    {
        string path = Path.Combine(directory, FileName);
        return File.Exists(path)
            ? JsonSerializer.Deserialize<ExtensionResults>(File.ReadAllText(path)) ?? throw new InvalidDataException($"{path} is empty")
            : null;
    }
}

/// <summary>One extended variant: what it was built from and how the extension changed it.</summary>
public sealed class ExtensionInfo
{
    /// <summary>Extension name (the variant's name unless Recipe:Extend:Variants names them).</summary>
    public string Name { get; set; } = "";

    /// <summary>The finetuned variant it was built from.</summary>
    public string From { get; set; } = "";

    /// <summary>Router plugin.</summary>
    public string Router { get; set; } = "";

    /// <summary>Router options changed before extending (compact JSON), or null.</summary>
    public string? RouterOptions { get; set; }

    /// <summary>The lambda used to mix the non-FFN parameters.</summary>
    public double Lambda { get; set; }

    /// <summary>Routed experts per MoE layer before the extension.</summary>
    public int ExpertsBefore { get; set; }

    /// <summary>Routed experts per MoE layer after it (one more).</summary>
    public int ExpertsAfter { get; set; }

    /// <summary>Parameters of all routers before the extension.</summary>
    public long RouterParametersBefore { get; set; }

    /// <summary>Parameters of all routers after it (equal for nexus: the new expert only adds a domain embedding).</summary>
    public long RouterParametersAfter { get; set; }

    /// <summary>All parameters before the extension.</summary>
    public long TotalParametersBefore { get; set; }

    /// <summary>All parameters after it.</summary>
    public long TotalParametersAfter { get; set; }
}

/// <summary>An extension after one finetuning budget.</summary>
public sealed class ExtensionPoint
{
    /// <summary>Extension name.</summary>
    public string Extension { get; set; } = "";

    /// <summary>Finetuning steps after the extension.</summary>
    public long Budget { get; set; }

    /// <summary>The evaluation on every domain (the new one included).</summary>
    public ModelResult Result { get; set; } = new();
}
