// Parameter initialisation of the LM's own layers: normal(0, 0.02) as HF Llama's _init_weights
// (initializer_range 0.02); RMSNorm weights start at one.
using PluginMoE.Tensors;
using static PluginMoE.Tensors.torch;

namespace PluginMoE.Core.Model;

/// <summary>Seeded initialisers shared by the model's modules.</summary>
internal static class Init
{
    /// <summary>Standard deviation of every linear and embedding weight (HF's initializer_range).</summary>
    public const double Std = 0.02;

    /// <summary>A bias-free linear layer drawn from normal(0, <see cref="Std"/>).</summary>
    public static nn.Linear Linear(long inFeatures, long outFeatures, Generator generator, ScalarType dtype)
    {
        var layer = new nn.Linear(inFeatures, outFeatures, bias: false, generator: generator, dtype: dtype);
        nn.init.normal_(layer.weight, 0, Std, generator); // replaces nn.Linear's kaiming-uniform default
        return layer;
    }

    /// <summary>An embedding table drawn from normal(0, <see cref="Std"/>).</summary>
    public static nn.Embedding Embedding(long vocab, long dim, Generator generator, ScalarType dtype)
    {
        var table = new nn.Embedding(vocab, dim, generator: generator, dtype: dtype);
        nn.init.normal_(table.weight, 0, Std, generator);
        return table;
    }
}
