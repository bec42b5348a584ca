// Domain embeddings around an embedder plugin: cached in a folder keyed by a hash of the sample (embedder,
// options, every document's domain, id and text), and the domain x domain cosine matrix that every run reports.
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using PluginMoE.Abstractions.Data;
using PluginMoE.Tensors;

namespace PluginMoE.Core.Data;

/// <summary>Embeddings of the domains of a sample, with their cosine matrix.</summary>
/// <param name="Domains">Domain names, in row order.</param>
/// <param name="Embeddings">(domains, m) embeddings.</param>
/// <param name="Cosine">(domains x domains) cosine similarities.</param>
/// <param name="SampleHash">The cache key of the sample.</param>
/// <param name="FromCache">True when the embeddings were read from the cache.</param>
public sealed record DomainEmbeddingSet(IReadOnlyList<string> Domains, Tensor Embeddings, double[,] Cosine, string SampleHash, bool FromCache)
{
    /// <summary>The cosine matrix as a Markdown table.</summary>
    public string CosineTable()
    {
        var sb = new StringBuilder("| |").AppendJoin("", Domains.Select(d => $" {d} |")).Append('\n');
        sb.Append("| --- |").AppendJoin("", Domains.Select(_ => " ---: |")).Append('\n');
        for (int i = 0; i < Domains.Count; i++)
        {
            sb.Append($"| {Domains[i]} |");
            for (int j = 0; j < Domains.Count; j++) sb.Append(' ').Append(Cosine[i, j].ToString("F3", CultureInfo.InvariantCulture)).Append(" |");
            sb.Append('\n');
        }
        return sb.ToString();
    }

    /// <summary>The largest cosine between two different domains (1 when there is one domain): lower separates better.</summary>
    public double MaxOffDiagonal()
    {
        double max = Domains.Count < 2 ? 1 : double.MinValue;
        for (int i = 0; i < Domains.Count; i++)
            for (int j = 0; j < Domains.Count; j++)
                if (i != j) max = Math.Max(max, Cosine[i, j]);
        return max;
    }
}

/// <summary>Runs a domain embedder through a cache and computes the cosine matrix.</summary>
public static class DomainEmbeddings
{
    /// <summary>
    /// The embeddings of <paramref name="request"/>'s domains by <paramref name="embedder"/>: read from
    /// <paramref name="cacheDirectory"/>/<c>&lt;hash&gt;.json</c> when that sample was embedded before, else computed and
    /// written there (no cache when <paramref name="cacheDirectory"/> is null).
    /// </summary>
    public static DomainEmbeddingSet Embed(IDomainEmbedder embedder, string embedderName, DomainEmbeddingRequest request, string? cacheDirectory)
    {
        ArgumentNullException.ThrowIfNull(embedder);
        ArgumentNullException.ThrowIfNull(request);
        string hash = SampleHash(embedderName, request);
        var domains = request.Domains.Keys.ToList();
        string? file = cacheDirectory is null ? null : Path.Combine(cacheDirectory, $"embeddings-{hash[..16]}.json");
        if (file is not null && File.Exists(file))
        {
            var cached = JsonSerializer.Deserialize<CacheFile>(File.ReadAllText(file));
            if (cached is not null && cached.Hash == hash && cached.Domains.SequenceEqual(domains))
            {
                var t = torch.tensor(cached.Values, [cached.Domains.Length, cached.Dim]);
                return new DomainEmbeddingSet(domains, t, CosineMatrix(t), hash, FromCache: true);
            }
        }
        var embeddings = embedder.Embed(request);
        if (embeddings.dim() != 2 || embeddings.size(0) != domains.Count)
            throw new InvalidOperationException($"domain embedder '{embedderName}' returned shape [{string.Join(", ", embeddings.shape)}]; expected ({domains.Count}, m), one row per domain");
        if (file is not null)
        {
            Directory.CreateDirectory(cacheDirectory!);
            var values = embeddings.to(ScalarType.Float32).contiguous().data<float>().ToArray();
            string temp = file + ".tmp";
            File.WriteAllText(temp, JsonSerializer.Serialize(new CacheFile(hash, embedderName, [.. domains], (int)embeddings.size(1), values)));
            File.Move(temp, file, overwrite: true);
        }
        return new DomainEmbeddingSet(domains, embeddings, CosineMatrix(embeddings), hash, FromCache: false);
    }

    /// <summary>SHA-256 over the embedder name, its options (as JSON) and every domain's documents (domain, id, text).</summary>
    public static string SampleHash(string embedderName, DomainEmbeddingRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        void Add(string s)
        {
            var bytes = Encoding.UTF8.GetBytes(s);
            sha.AppendData(BitConverter.GetBytes(bytes.Length));
            sha.AppendData(bytes);
        }
        Add(embedderName);
        Add(request.Options is null ? "null" : JsonSerializer.Serialize(request.Options, request.Options.GetType()));
        foreach (var (domain, docs) in request.Domains)
        {
            Add(domain);
            foreach (var d in docs) { Add(d.Id); Add(d.Text); }
        }
        return Convert.ToHexString(sha.GetHashAndReset()).ToLowerInvariant();
    }

    /// <summary>Cosine similarity of every pair of rows of <paramref name="embeddings"/> (n, m).</summary>
    public static double[,] CosineMatrix(Tensor embeddings)
    {
        ArgumentNullException.ThrowIfNull(embeddings);
        int n = (int)embeddings.size(0), m = (int)embeddings.size(1);
        var v = embeddings.to(ScalarType.Float64).contiguous().data<double>();
        var norms = Enumerable.Range(0, n).Select(i => Math.Sqrt(Enumerable.Range(0, m).Sum(j => v[i * m + j] * v[i * m + j]))).ToArray();
        var c = new double[n, n];
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++)
            {
                double dot = 0;
                for (int k = 0; k < m; k++) dot += v[i * m + k] * v[j * m + k];
                c[i, j] = norms[i] > 0 && norms[j] > 0 ? dot / (norms[i] * norms[j]) : 0;
            }
        return c;
    }

    private sealed record CacheFile(string Hash, string Embedder, string[] Domains, int Dim, float[] Values);
}
