// Domains for an unlabeled corpus (c-BTM, Gururangan et al. 2023; BTX's clustered variant): the training
// documents are embedded one by one with a domain-embedder plugin, clustered into k groups by a clusterer
// plugin (kmeans-balanced: balanced sizes), and named cluster-0 .. cluster-(k-1); validation and test documents
// go to the nearest cluster centre (as c-BTM routes new text) or keep the loader's labels. The result is cached
// in the run folder under a key of the settings and the documents, so every stage of a run sees the same domains.
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using PluginMoE.Abstractions.Data;
using PluginMoE.Tensors;

namespace PluginMoE.Core.Data;

/// <summary>What to cluster with.</summary>
/// <param name="Clusterer">The clusterer plugin.</param>
/// <param name="ClustererName">Its name (for reports and the cache key).</param>
/// <param name="ClustererOptions">Its bound options, or null.</param>
/// <param name="Clusters">Number of clusters k.</param>
/// <param name="Embedder">The embedder that gives one vector per document.</param>
/// <param name="EmbedderName">Its name.</param>
/// <param name="EmbedderOptions">Its bound options, or null.</param>
/// <param name="Seed">Seed of the clusterer.</param>
/// <param name="HeldOutByLabels">True: validation and test documents keep the loader's labels; false: the nearest centre.</param>
public sealed record ClusteringSetup(IDocumentClusterer Clusterer, string ClustererName, object? ClustererOptions, int Clusters,
    IDomainEmbedder Embedder, string EmbedderName, object? EmbedderOptions, long Seed, bool HeldOutByLabels);

/// <summary>The clusters of a run, as saved in <see cref="DocumentClustering.FileName"/>.</summary>
public sealed record ClusterReport
{
    /// <summary>Cache key: SHA-256 of the setup and of every document (part, id, label, text).</summary>
    public string Key { get; init; } = "";

    /// <summary>Clusterer plugin.</summary>
    public string Clusterer { get; init; } = "";

    /// <summary>Embedder plugin whose vectors were clustered.</summary>
    public string Embedder { get; init; } = "";

    /// <summary>The seed.</summary>
    public long Seed { get; init; }

    /// <summary>How validation and test documents got their domain: <c>nearest</c> or <c>labels</c>.</summary>
    public string HeldOut { get; init; } = "nearest";

    /// <summary>Cluster names (the new domains), index order.</summary>
    public string[] Names { get; init; } = [];

    /// <summary>Training documents per cluster.</summary>
    public int[] TrainSizes { get; init; } = [];

    /// <summary>Validation documents per cluster (zeros when they keep their labels).</summary>
    public int[] ValidationSizes { get; init; } = [];

    /// <summary>Test documents per cluster (zeros when they keep their labels).</summary>
    public int[] TestSizes { get; init; } = [];

    /// <summary>The clusterer's top terms per cluster.</summary>
    public string[][] TopTerms { get; init; } = [];

    /// <summary>Training documents per (loader label, cluster): label -> counts in cluster order.</summary>
    public Dictionary<string, int[]> LabelCounts { get; init; } = [];

    /// <summary>Purity against the loader's labels: the share of training documents whose cluster's majority label is theirs.</summary>
    public double Purity { get; init; }

    /// <summary>Cluster index of each training document, in split order.</summary>
    public int[] Train { get; init; } = [];

    /// <summary>Cluster index of each validation document (empty when they keep their labels).</summary>
    public int[] Validation { get; init; } = [];

    /// <summary>Cluster index of each test document (empty when they keep their labels).</summary>
    public int[] Test { get; init; } = [];

    /// <summary>One line per cluster: sizes, labels, top terms.</summary>
    public IEnumerable<string> Lines()
    {
        var c = CultureInfo.InvariantCulture;
        yield return string.Create(c, $"{Clusterer} over {Embedder} vectors (seed {Seed}): {Train.Length} training documents in {Names.Length} clusters, purity {Purity:F3} against the loader's labels; validation/test by {(HeldOut == "labels" ? "the loader's labels" : "nearest centre")}");
        for (int k = 0; k < Names.Length; k++)
        {
            var labels = LabelCounts.Where(kv => kv.Value[k] > 0).OrderByDescending(kv => kv.Value[k]).ThenBy(kv => kv.Key, StringComparer.Ordinal)
                .Select(kv => $"{kv.Key} {kv.Value[k]}");
            string held = HeldOut == "labels" ? "" : $" / {ValidationSizes[k]} validation / {TestSizes[k]} test";
            yield return $"  {Names[k]}: {TrainSizes[k]} train{held} documents; labels {string.Join(", ", labels)}; top terms: {string.Join(", ", TopTerms[k])}";
        }
    }
}

/// <summary>Training, validation and test documents relabelled by their clusters.</summary>
/// <param name="Splits">The relabelled parts.</param>
/// <param name="Report">Sizes, top terms and assignments.</param>
/// <param name="FromCache">True when the clusters were read from the run folder.</param>
public sealed record ClusteredSplits(DocumentSplits Splits, ClusterReport Report, bool FromCache);

/// <summary>Clusters unlabeled training documents into domains.</summary>
public static class DocumentClustering
{
    /// <summary>File written into the cache folder.</summary>
    public const string FileName = "clusters.json";

    /// <summary>Name of cluster <paramref name="index"/>.</summary>
    public static string Name(int index) => string.Create(CultureInfo.InvariantCulture, $"cluster-{index}");

    /// <summary>
    /// Relabels <paramref name="splits"/> with clusters of its training documents. Reads and writes
    /// <paramref name="cacheDirectory"/>/<see cref="FileName"/> when given (recomputed when its key differs).
    /// </summary>
    /// <exception cref="ArgumentException">The embedder or the clusterer rejected the request; the message starts with the plugin's role and name.</exception>
    public static ClusteredSplits Cluster(DocumentSplits splits, ClusteringSetup setup, ITokenizer? tokenizer, string? cacheDirectory, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(splits);
        ArgumentNullException.ThrowIfNull(setup);
        string key = Key(splits, setup);
        string? file = cacheDirectory is null ? null : Path.Combine(cacheDirectory, FileName);
        if (file is not null && File.Exists(file))
        {
            try
            {
                if (JsonSerializer.Deserialize<ClusterReport>(File.ReadAllText(file)) is { } cached && cached.Key == key)
                    return new ClusteredSplits(Relabel(splits, cached), cached, FromCache: true);
            }
            catch (JsonException)
            {
                // An unreadable cache is recomputed and overwritten.
            }
        }
        var report = Compute(splits, setup, tokenizer, key, cancellationToken);
        if (file is not null)
        {
            Directory.CreateDirectory(cacheDirectory!);
            string temp = file + ".partial";
            File.WriteAllText(temp, JsonSerializer.Serialize(report, new JsonSerializerOptions { WriteIndented = true }));
            File.Move(temp, file, overwrite: true);
        }
        return new ClusteredSplits(Relabel(splits, report), report, FromCache: false);
    }

    private static ClusterReport Compute(DocumentSplits splits, ClusteringSetup setup, ITokenizer? tokenizer, string key, CancellationToken cancellationToken)
    {
        var train = splits.Train;
        var heldOut = setup.HeldOutByLabels ? [] : splits.Validation.Concat(splits.Test).ToList();
        var all = train.Concat(heldOut).ToList();
        double[][] vectors;
        try
        {
            var request = new DomainEmbeddingRequest(all.Select((d, i) => (Key: i.ToString(CultureInfo.InvariantCulture), Docs: (IReadOnlyList<Document>)[d]))
                .ToDictionary(x => x.Key, x => x.Docs, StringComparer.Ordinal))
            { Options = setup.EmbedderOptions, Tokenizer = tokenizer };
            var t = setup.Embedder.Embed(request);
            if (t.dim() != 2 || t.size(0) != all.Count)
                throw new ArgumentException($"it returned shape [{string.Join(", ", t.shape)}] for {all.Count} one-document domains; expected ({all.Count}, m)");
            int m = (int)t.size(1);
            var data = t.to(ScalarType.Float64).contiguous().data<double>().ToArray();
            vectors = [.. Enumerable.Range(0, all.Count).Select(i => Normalised(data.AsSpan(i * m, m).ToArray()))];
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException)
        {
            throw new ArgumentException($"cluster embedder '{setup.EmbedderName}': {e.Message}", e);
        }
        cancellationToken.ThrowIfCancellationRequested();
        int n = train.Count, dim = vectors.Length == 0 ? 0 : vectors[0].Length;
        var trainVectors = new float[n * dim];
        for (int i = 0; i < n; i++) for (int j = 0; j < dim; j++) trainVectors[i * dim + j] = (float)vectors[i][j];
        ClusteringResult result;
        try
        {
            result = setup.Clusterer.Cluster(new ClusteringRequest(train, setup.Clusters)
            {
                Options = setup.ClustererOptions,
                Seed = setup.Seed,
                Vectors = torch.tensor(trainVectors, [n, dim]),
                CancellationToken = cancellationToken,
            });
        }
        catch (ArgumentException e)
        {
            throw new ArgumentException($"clusterer '{setup.ClustererName}': {e.Message}", e);
        }
        int k = setup.Clusters;
        if (result.Assignments.Count != n || result.Assignments.Any(a => a < 0 || a >= k))
            throw new InvalidOperationException($"clusterer '{setup.ClustererName}' returned {result.Assignments.Count} assignments for {n} documents, or a cluster outside 0..{k - 1}");
        var centres = result.Centroids.to(ScalarType.Float64).contiguous().data<double>().ToArray();
        int Nearest(double[] v)
        {
            int best = 0;
            double bestSim = double.NegativeInfinity;
            for (int c = 0; c < k; c++)
            {
                double s = 0;
                for (int j = 0; j < dim; j++) s += v[j] * centres[c * dim + j];
                if (s > bestSim) { bestSim = s; best = c; }
            }
            return best;
        }
        var heldAssign = Enumerable.Range(n, heldOut.Count).Select(i => Nearest(vectors[i])).ToArray();
        int nv = setup.HeldOutByLabels ? 0 : splits.Validation.Count;
        var trainAssign = result.Assignments.ToArray();
        var labelCounts = new SortedDictionary<string, int[]>(StringComparer.Ordinal);
        for (int i = 0; i < n; i++)
        {
            if (!labelCounts.TryGetValue(train[i].Domain, out var counts)) labelCounts[train[i].Domain] = counts = new int[k];
            counts[trainAssign[i]]++;
        }
        int majority = Enumerable.Range(0, k).Sum(c => labelCounts.Values.Max(v => v[c]));
        return new ClusterReport
        {
            Key = key,
            Clusterer = setup.ClustererName,
            Embedder = setup.EmbedderName,
            Seed = setup.Seed,
            HeldOut = setup.HeldOutByLabels ? "labels" : "nearest",
            Names = [.. Enumerable.Range(0, k).Select(Name)],
            TrainSizes = Sizes(trainAssign, k),
            ValidationSizes = Sizes(heldAssign[..nv], k),
            TestSizes = Sizes(heldAssign[nv..], k),
            TopTerms = [.. Enumerable.Range(0, k).Select(c => c < result.TopTerms.Count ? result.TopTerms[c].ToArray() : [])],
            LabelCounts = new Dictionary<string, int[]>(labelCounts, StringComparer.Ordinal),
            Purity = n == 0 ? 0 : (double)majority / n,
            Train = trainAssign,
            Validation = heldAssign[..nv],
            Test = heldAssign[nv..],
        };
    }

    private static DocumentSplits Relabel(DocumentSplits splits, ClusterReport report)
    {
        if (report.Train.Length != splits.Train.Count)
            throw new InvalidDataException($"{FileName}: {report.Train.Length} training assignments for {splits.Train.Count} documents");
        IReadOnlyList<Document> Apply(IReadOnlyList<Document> docs, int[] assign) =>
            [.. docs.Select((d, i) => d with { Domain = report.Names[assign[i]] })];
        bool labels = report.HeldOut == "labels";
        return splits with
        {
            Train = Apply(splits.Train, report.Train),
            Validation = labels ? splits.Validation : Apply(splits.Validation, report.Validation),
            Test = labels ? splits.Test : Apply(splits.Test, report.Test),
        };
    }

    private static int[] Sizes(int[] assign, int k)
    {
        var s = new int[k];
        foreach (int a in assign) s[a]++;
        return s;
    }

    private static double[] Normalised(double[] v)
    {
        double norm = Math.Sqrt(v.Sum(x => x * x));
        if (norm > 0) for (int i = 0; i < v.Length; i++) v[i] /= norm;
        return v;
    }

    // SHA-256 over the setup (plugins, bound options, k, seed, held-out rule) and every document's part, id, label and text.
    private static string Key(DocumentSplits splits, ClusteringSetup setup)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        void Add(string s)
        {
            sha.AppendData(Encoding.UTF8.GetBytes(s));
            sha.AppendData([0]);
        }
        Add(setup.ClustererName);
        Add(setup.ClustererOptions is null ? "" : JsonSerializer.Serialize(setup.ClustererOptions, setup.ClustererOptions.GetType()));
        Add(setup.EmbedderName);
        Add(setup.EmbedderOptions is null ? "" : JsonSerializer.Serialize(setup.EmbedderOptions, setup.EmbedderOptions.GetType()));
        Add(string.Create(CultureInfo.InvariantCulture, $"{setup.Clusters}:{setup.Seed}:{setup.HeldOutByLabels}"));
        foreach (var (part, docs) in new[] { ("train", splits.Train), ("validation", splits.Validation), ("test", splits.Test) })
            foreach (var d in docs)
            {
                Add(part);
                Add(d.Id);
                Add(d.Domain);
                Add(d.Text);
            }
        return Convert.ToHexString(sha.GetHashAndReset()).ToLowerInvariant();
    }
}
