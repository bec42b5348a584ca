// The tokenizer that belongs to a checkpoint: tokenizer.json beside config.json, or the byte tokenizer when
// there is none (PluginMoE checkpoints trained with byte ids carry no file).
using PluginMoE.Abstractions.Data;

namespace PluginMoE.Core.Text;

/// <summary>Saves and loads a checkpoint folder's tokenizer.</summary>
public static class CheckpointTokenizer
{
    /// <summary>Writes <paramref name="tokenizer"/> into <paramref name="directory"/> (nothing for the byte tokenizer).</summary>
    /// <exception cref="NotSupportedException">A tokenizer type that has no file format.</exception>
    public static void Save(string directory, ITokenizer tokenizer)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        switch (tokenizer)
        {
            case ByteTokenizer: break;
            case BpeTokenizer bpe: HfTokenizerJson.Save(bpe, Path.Combine(directory, HfTokenizerJson.FileName)); break;
            default: throw new NotSupportedException($"tokenizer {tokenizer.GetType().Name} cannot be saved beside a checkpoint; use 'byte' or 'bpe'");
        }
    }

    /// <summary>The tokenizer of the checkpoint in <paramref name="directory"/>: its tokenizer.json, else bytes.</summary>
    public static ITokenizer Load(string directory)
    {
        string file = Path.Combine(directory, HfTokenizerJson.FileName);
        return File.Exists(file) ? HfTokenizerJson.Load(file) : ByteTokenizer.Instance;
    }
}
