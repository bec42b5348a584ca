// kmeans-balanced: spherical k-means with balanced assignment, the clusterer of c-BTM (Gururangan et al.
// 2023, §2.2: balanced k-means over tf-idf features so that every expert gets a similar share of the data).
// Each round assigns documents greedily by cosine to the nearest centre that still has room, with
// capacities floor(N/k) plus one extra slot for N mod k clusters, so every cluster has floor(N/k) or
// ceil(N/k) documents; centres are the normalised means. k-means++ seeding from the seed.
using System.Text.RegularExpressions;
using PluginMoE.Abstractions.Data;
using PluginMoE.Tensors;

namespace PluginMoE.Plugins.Embedders;

/// <summary>Balanced k-means over document vectors (given, or hashed TF-IDF of the texts).</summary>
[ExportDocumentClusterer("kmeans-balanced", Description = "Balanced spherical k-means (c-BTM/BTX): every cluster gets floor(N/k) or ceil(N/k) documents")]
public sealed partial class KmeansBalancedClusterer : IDocumentClusterer
{
    /// <inheritdoc/>
    public Type? OptionsType => typeof(KmeansBalancedOptions);

    /// <inheritdoc/>
    public ClusteringResult Cluster(ClusteringRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var o = request.Options as KmeansBalancedOptions ?? new KmeansBalancedOptions();
        int n = request.Documents.Count, k = request.Clusters;
        if (k < 1 || k > n)
            throw new ArgumentException($"kmeans-balanced: cannot make {k} clusters of {n} documents; k must be between 1 and the number of documents");
        var x = Vectors(request, o);                                           // N rows of m, L2-normalised
        int m = x[0].Length;
        var centres = Seed(x, k, request.Seed);
        var assign = new int[n];
        Array.Fill(assign, -1);
        for (int iter = 0; iter < o.MaxIterations; iter++)
        {
            request.CancellationToken.ThrowIfCancellationRequested();
            var next = BalancedAssign(x, centres);
            bool same = next.AsSpan().SequenceEqual(assign);
            assign = next;
            if (same) break;
            for (int c = 0; c < k; c++)
            {
                var mean = new double[m];
                for (int i = 0; i < n; i++)
                    if (assign[i] == c) for (int j = 0; j < m; j++) mean[j] += x[i][j];
                centres[c] = Normalised(mean);
            }
        }
        var sizes = new int[k];
        foreach (int c in assign) sizes[c]++;
        var flat = new float[k * m];
        for (int c = 0; c < k; c++) for (int j = 0; j < m; j++) flat[c * m + j] = (float)centres[c][j];
        return new ClusteringResult(assign, sizes, TopTerms(request.Documents, assign, k, o), torch.tensor(flat, [k, m]));
    }

    /// <summary>
    /// Greedy balanced assignment: all (document, centre) pairs by descending cosine (ties by indices); a document
    /// takes the first centre with room. Capacities are floor(N/k); the N mod k documents left then go, again by
    /// descending cosine, to distinct centres (one extra each).
    /// </summary>
    internal static int[] BalancedAssign(double[][] x, double[][] centres)
    {
        int n = x.Length, k = centres.Length;
        var pairs = new (double Sim, int Doc, int Centre)[n * k];
        for (int i = 0; i < n; i++)
            for (int c = 0; c < k; c++) pairs[i * k + c] = (Dot(x[i], centres[c]), i, c);
        Array.Sort(pairs, (a, b) => a.Sim != b.Sim ? b.Sim.CompareTo(a.Sim) : a.Doc != b.Doc ? a.Doc.CompareTo(b.Doc) : a.Centre.CompareTo(b.Centre));
        var assign = new int[n];
        Array.Fill(assign, -1);
        var size = new int[k];
        int cap = n / k;
        foreach (var (_, i, c) in pairs)
            if (assign[i] < 0 && size[c] < cap) { assign[i] = c; size[c]++; }
        var extra = new bool[k];
        foreach (var (_, i, c) in pairs)
            if (assign[i] < 0 && !extra[c]) { assign[i] = c; extra[c] = true; size[c]++; }
        return assign;
    }

    // k-means++: the first centre is a seeded random document, each next one a document drawn with probability
    // proportional to its squared distance (2 - 2 cos) to the nearest centre chosen so far.
    private static double[][] Seed(double[][] x, int k, long seed)
    {
        var rng = new Random(unchecked((int)(seed ^ (seed >> 32))) ^ 0x5EED);
        var centres = new List<double[]> { (double[])x[rng.Next(x.Length)].Clone() };
        var d2 = x.Select(v => Math.Max(0, 2 - 2 * Dot(v, centres[0]))).ToArray();
        while (centres.Count < k)
        {
            double total = d2.Sum(), r = rng.NextDouble() * total;
            int pick = 0;
            if (total <= 0) pick = centres.Count;                 // every document sits on a centre: take them in order
            else for (double acc = 0; pick < x.Length - 1 && (acc += d2[pick]) < r; pick++) { }
            centres.Add((double[])x[pick].Clone());
            for (int i = 0; i < x.Length; i++) d2[i] = Math.Min(d2[i], Math.Max(0, 2 - 2 * Dot(x[i], centres[^1])));
        }
        return [.. centres];
    }

    private static double[][] Vectors(ClusteringRequest request, KmeansBalancedOptions o)
    {
        int n = request.Documents.Count;
        if (request.Vectors is { } t)
        {
            if (t.dim() != 2 || t.size(0) != n)
                throw new ArgumentException($"kmeans-balanced: Vectors must be (N, m) with N = {n} documents, got [{string.Join(", ", t.shape)}]");
            int m = (int)t.size(1);
            var data = t.to(ScalarType.Float64).contiguous().data<double>();
            return [.. Enumerable.Range(0, n).Select(i => Normalised(data.AsSpan(i * m, m).ToArray()))];
        }
        var texts = request.Documents.Select(d => d.Text.Length > o.MaxCharsPerDocument ? d.Text[..o.MaxCharsPerDocument] : d.Text).ToList();
        var sparse = new HashedTfidf(o.HashBits, 3, 5).Vectors(texts);
        var projection = new RandomProjection(o.Dim, request.Seed);
        return [.. sparse.Select(v => Normalised(projection.Project(v.ToDictionary(kv => kv.Key, kv => (double)kv.Value))))];
    }

    // Words that are frequent in a cluster and rare elsewhere: share within the cluster x log(1 + k / clusters using it).
    private static List<IReadOnlyList<string>> TopTerms(IReadOnlyList<Document> docs, int[] assign, int k, KmeansBalancedOptions o)
    {
        var counts = Enumerable.Range(0, k).Select(_ => new Dictionary<string, int>(StringComparer.Ordinal)).ToArray();
        for (int i = 0; i < docs.Count; i++)
        {
            string text = docs[i].Text.Length > o.MaxCharsPerDocument ? docs[i].Text[..o.MaxCharsPerDocument] : docs[i].Text;
            foreach (Match w in Word().Matches(text.ToLowerInvariant()))
                counts[assign[i]][w.Value] = counts[assign[i]].GetValueOrDefault(w.Value) + 1;
        }
        var clustersUsing = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var c in counts) foreach (var w in c.Keys) clustersUsing[w] = clustersUsing.GetValueOrDefault(w) + 1;
        return [.. counts.Select(c =>
        {
            double total = Math.Max(1, c.Values.Sum());
            return (IReadOnlyList<string>)[.. c.OrderByDescending(kv => kv.Value / total * Math.Log(1 + (double)k / clustersUsing[kv.Key]))
                .ThenBy(kv => kv.Key, StringComparer.Ordinal).Take(o.TopTerms).Select(kv => kv.Key)];
        })];
    }

    [GeneratedRegex(@"[\p{L}_][\p{L}\p{N}_]{2,}")]
    private static partial Regex Word();

    private static double Dot(double[] a, double[] b)
    {
        double s = 0;
        for (int i = 0; i < a.Length; i++) s += a[i] * b[i];
        return s;
    }

    private static double[] Normalised(double[] v)
    {
        double norm = Math.Sqrt(v.Sum(x => x * x));
        if (norm > 0) for (int i = 0; i < v.Length; i++) v[i] /= norm;
        return v;
    }
}
