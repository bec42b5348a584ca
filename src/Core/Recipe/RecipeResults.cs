// What the evaluate stage measures for every model of a recipe (per-domain validation and test perplexity, routing
// share per domain per layer, parameter counts, tokens/s) and the embed stage's cosine matrix: saved as results.json, read by the report.
using System.Text.Json;
using System.Text.Json.Serialization;
using PluginMoE.Core.Data;
using PluginMoE.Core.Evaluation;
using PluginMoE.Core.Model;

namespace PluginMoE.Core.Recipe;

/// <summary>All measurements of one recipe run.</summary>
public sealed class RecipeResults
{
    /// <summary>File name in the evaluate stage's folder.</summary>
    public const string FileName = "results.json";

    /// <summary>Validation domains, in order.</summary>
    public List<string> Domains { get; set; } = [];

    /// <summary>
    /// Test domains, in order: empty when the run holds no test windows (Data:TestFraction 0), null when its evaluate
    /// stage ran before test perplexity was measured.
    /// </summary>
    public List<string>? TestDomains { get; set; }

    /// <summary>One entry per evaluated model.</summary>
    public List<ModelResult> Models { get; set; } = [];

    /// <summary>Name of the variant relative numbers are given against, or null.</summary>
    public string? Reference { get; set; }

    /// <summary>Domains of the embedding cosine matrix.</summary>
    public List<string> EmbeddingDomains { get; set; } = [];

    /// <summary>Cosine similarity of the domain embeddings (rows of <see cref="EmbeddingDomains"/>).</summary>
    public List<double[]> EmbeddingCosine { get; set; } = [];

    /// <summary>Writes results.json into <paramref name="directory"/>.</summary>
    public void Save(string directory) =>
        File.WriteAllText(Path.Combine(directory, FileName), JsonSerializer.Serialize(this, new JsonSerializerOptions { WriteIndented = true }));

    /// <summary>Reads results.json from <paramref name="directory"/>.</summary>
    /// <exception cref="FileNotFoundException">The evaluate stage has not written it.</exception>
    public static RecipeResults Load(string directory)
    {
        string path = Path.Combine(directory, FileName);
        if (!File.Exists(path)) throw new FileNotFoundException($"{path} does not exist: run the evaluate stage first", path);
        return JsonSerializer.Deserialize<RecipeResults>(File.ReadAllText(path)) ?? throw new InvalidDataException($"{path} is empty");
    }

    /// <summary>
    /// Measures <paramref name="model"/> for the recipe's tables (the evaluate and extend stages both use this): per-domain
    /// validation perplexity, routing and parameter counts from <paramref name="validation"/>, evaluation tokens/s timed on
    /// it, and per-domain test perplexity from <paramref name="test"/> (left empty when it is null). Both go through
    /// <see cref="Evaluator.Evaluate"/>, once each; the validation part is taken from <paramref name="validated"/> instead when
    /// it is given (the trainer's evaluation of the same model on the same windows, <see cref="Stages.FinalEvaluation"/>).
    /// </summary>
    public static ModelResult Measure(string name, string kind, TransformerLM model, ValidationSet validation, ValidationSet? test, int batchSize, CancellationToken cancellationToken,
        ModelResult? validated = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(validation);
        ModelResult result;
        if (validated is not null) result = validated;
        else
        {
            var clock = System.Diagnostics.Stopwatch.StartNew();
            var evaluation = Evaluator.Evaluate(model, validation, batchSize, cancellationToken);
            double seconds = clock.Elapsed.TotalSeconds;
            result = From(name, kind, evaluation, evaluation.Domains.Sum(d => d.Tokens) / Math.Max(seconds, 1e-9));
        }
        if (test is not null)
            result.TestPerplexity = Evaluator.Evaluate(model, test, batchSize, cancellationToken).Domains.ToDictionary(d => d.Domain, d => d.Perplexity, StringComparer.Ordinal);
        return result;
    }

    /// <summary>A model's entry from an evaluation.</summary>
    public static ModelResult From(string name, string kind, EvaluationResult evaluation, double tokensPerSecond)
    {
        ArgumentNullException.ThrowIfNull(evaluation);
        return new ModelResult
        {
            Name = name,
            Kind = kind,
            Perplexity = evaluation.Domains.ToDictionary(d => d.Domain, d => d.Perplexity, StringComparer.Ordinal),
            Loss = evaluation.Loss,
            Routing = evaluation.Domains.ToDictionary(d => d.Domain,
                d => d.Routing.OrderBy(r => r.Layer).Select(r => new LayerRouting { Layer = r.Layer, Fractions = r.Fractions }).ToList(), StringComparer.Ordinal),
            TotalParameters = evaluation.Parameters.Total,
            ActiveTrainingParameters = evaluation.Parameters.ActiveTraining,
            ActiveInferenceParameters = evaluation.Parameters.ActiveInference,
            TokensPerSecond = tokensPerSecond,
        };
    }
}

/// <summary>Measurements of one model.</summary>
public sealed class ModelResult
{
    /// <summary>Model name (variant name, <c>seed</c>, <c>dense-continued</c>, <c>average</c>).</summary>
    public string Name { get; set; } = "";

    /// <summary><c>variant</c>, <c>baseline</c> or <c>seed</c>.</summary>
    public string Kind { get; set; } = "";

    /// <summary>Validation perplexity per domain.</summary>
    public Dictionary<string, double> Perplexity { get; set; } = new(StringComparer.Ordinal);

    /// <summary>Test perplexity per domain (the held-out test split; empty when not measured).</summary>
    public Dictionary<string, double> TestPerplexity { get; set; } = new(StringComparer.Ordinal);

    /// <summary>Token-weighted validation loss over all domains.</summary>
    public double Loss { get; set; }

    /// <summary>Routing share per domain, per MoE layer (empty for dense models).</summary>
    public Dictionary<string, List<LayerRouting>> Routing { get; set; } = new(StringComparer.Ordinal);

    /// <summary>All parameters.</summary>
    public long TotalParameters { get; set; }

    /// <summary>Parameters a token passes through in training.</summary>
    public long ActiveTrainingParameters { get; set; }

    /// <summary>Parameters a token passes through at inference.</summary>
    public long ActiveInferenceParameters { get; set; }

    /// <summary>Evaluation throughput (forward passes, tokens per second) on this machine.</summary>
    public double TokensPerSecond { get; set; }

    /// <summary>Geometric mean of the per-domain perplexities (the exp of the mean log-perplexity).</summary>
    public double MeanPerplexity => Perplexity.Count == 0 ? double.NaN : Math.Exp(Perplexity.Values.Average(Math.Log));

    /// <summary>Geometric mean of the per-domain test perplexities (NaN when not measured).</summary>
    [JsonIgnore]
    public double MeanTestPerplexity => TestPerplexity.Count == 0 ? double.NaN : Math.Exp(TestPerplexity.Values.Average(Math.Log));
}

/// <summary>Share of a domain's tokens sent to each expert in one layer.</summary>
public sealed class LayerRouting
{
    /// <summary>Layer index.</summary>
    public int Layer { get; set; }

    /// <summary>Share of the domain's expert assignments that went to each expert (sums to 1).</summary>
    public double[] Fractions { get; set; } = [];
}

/// <summary>What the report is drawn from for one seed: its measurements and its training curves by model name.</summary>
/// <param name="Seed">The seed.</param>
/// <param name="Results">The evaluate stage's results of that seed.</param>
/// <param name="LossCurves">Training curves by model name (finetuning for variants, continued training for baselines).</param>
public sealed record SeedResults(long Seed, RecipeResults Results, IReadOnlyDictionary<string, LossCurve> LossCurves);
