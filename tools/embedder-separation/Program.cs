// Measurement: how well tfidf and hidden-mean separate the local-corpus domains (and the quickstart pair).
using PluginMoE.Abstractions.Checkpoints;
using PluginMoE.Abstractions.Data;
using PluginMoE.Core.Composition;
using PluginMoE.Core.Data;
using PluginMoE.Core.Model;
using PluginMoE.Core.Text;
using PluginMoE.Core.Training;
using PluginMoE.Plugins.Datasets;
using PluginMoE.Plugins.Embedders;
using PluginMoE.Tensors;
int steps = args.Length > 0 ? int.Parse(args[0]) : 300;
var docs = new LocalCorpusLoader().Load(new DatasetRequest { Options = new LocalCorpusOptions {
    Sources = ["man-pages", "python-stdlib", "dotnet-xmldocs", "licenses", "c-headers"], MaxFilesPerSource = 120, MaxBytesPerFile = 16384 } }).ToList();
var byDomain = docs.GroupBy(d => d.Domain).ToDictionary(g => g.Key, g => g.ToList());
var fit = byDomain.ToDictionary(kv => kv.Key, kv => (IReadOnlyList<Document>)kv.Value.Where((_, i) => i % 2 == 0).ToList());
var held = byDomain.ToDictionary(kv => kv.Key, kv => kv.Value.Where((_, i) => i % 2 == 1).Take(30).ToList());

void Report(string name, IDomainEmbedder embedder, object? options, IHiddenStateProvider? model)
{
    var set = DomainEmbeddings.Embed(embedder, name, new DomainEmbeddingRequest(fit) { Options = options, Model = model }, null);
    Console.WriteLine($"## {name}\n{set.CosineTable()}max off-diagonal cosine: {set.MaxOffDiagonal():F3}");
    var names = fit.Keys.ToList();
    var m = set.Embeddings.contiguous().data<float>(); int dim = (int)set.Embeddings.size(1);
    int correct = 0, total = 0;
    foreach (var (domain, list) in held)
        foreach (var d in list)
        {
            var one = embedder.Embed(new DomainEmbeddingRequest(new Dictionary<string, IReadOnlyList<Document>> { ["x"] = [d] }) { Options = options, Model = model }).contiguous().data<float>();
            double Cos(int j) { double dot = 0, a = 0, b = 0; for (int k = 0; k < dim; k++) { dot += one[k] * m[j * dim + k]; a += one[k] * one[k]; b += m[j * dim + k] * m[j * dim + k]; } return dot / Math.Sqrt(a * b); }
            if (names[Enumerable.Range(0, names.Count).MaxBy(Cos)] == domain) correct++; total++;
        }
    Console.WriteLine($"held-out documents nearest (cosine) to their own domain's embedding: {correct}/{total} = {(double)correct / total:P1}\n");
}
Report("tfidf", new TfidfEmbedder(), new TfidfOptions(), null);

// A seed model: the quickstart shape (dense, d=64, 2 layers, byte tokens) trained on the same five domains.
var catalog = new ComponentCatalog().AddExpert("swiglu", new PluginMoE.Plugins.Experts.SwiGluExpertFactory());
var config = new ModelConfig { HiddenSize = 64, IntermediateSize = 128, NumHiddenLayers = 2, NumAttentionHeads = 4, NumKeyValueHeads = 4, MaxPositionEmbeddings = 128 };
var lm = new TransformerLM(config, catalog, new Generator(1));
var corpus = TokenCorpus.Build(fit.Values.SelectMany(x => x), ByteTokenizer.Instance, '\n');
var trainer = new Trainer(lm, corpus, new TrainerOptions { Steps = steps, BatchSize = 16, SequenceLength = 128, LearningRate = 0.003, WarmupSteps = 30, Seed = 1 });
var sw = System.Diagnostics.Stopwatch.StartNew();
trainer.Train();
Console.WriteLine($"seed model: {steps} steps of 16x128 bytes in {sw.Elapsed.TotalSeconds:F0} s");
// Core's hidden-state reader: the final hidden state (after the final norm), mean-pooled over 128-token windows.
Report("hidden-mean", new HiddenMeanEmbedder(), new HiddenMeanOptions { MaxDocumentsPerDomain = 32, MaxCharsPerDocument = 1024 }, new ModelHiddenStates(lm, ByteTokenizer.Instance));
