// Translation between PluginMoE's canonical tensor names (Hugging Face Llama names plus mlp.gate /
// mlp.experts / mlp.shared_expert inside MoE blocks) and the names each file layout uses.
using System.Text.RegularExpressions;

namespace PluginMoE.Core.Checkpoints;

/// <summary>Canonical name &lt;-&gt; file name, per <see cref="CheckpointLayout"/>.</summary>
public static partial class LayoutNames
{
    /// <summary>The name a canonical tensor has in a file of <paramref name="layout"/>.</summary>
    /// <exception cref="ArgumentException"><paramref name="layout"/> is <see cref="CheckpointLayout.Auto"/>.</exception>
    public static string ToFile(string canonical, CheckpointLayout layout) => layout switch
    {
        CheckpointLayout.Llama => canonical,
        CheckpointLayout.Mixtral => MixtralFromCanonical(canonical),
        CheckpointLayout.DeepSeekMoe or CheckpointLayout.PluginMoE => SharedCanonical().Replace(canonical, "$1mlp.shared_experts.", 1),
        _ => throw new ArgumentException("a file has a concrete layout, not Auto", nameof(layout)),
    };

    /// <summary>
    /// The canonical name of tensor <paramref name="fileName"/> of a <paramref name="layout"/> file, or null
    /// when the name is not one that layout writes (e.g. a canonical <c>mlp.experts.0.gate_proj.weight</c>
    /// in a Mixtral file, which names it <c>block_sparse_moe.experts.0.w1.weight</c>).
    /// </summary>
    public static string? ToCanonical(string fileName, CheckpointLayout layout)
    {
        var canonical = layout switch
        {
            CheckpointLayout.Llama => fileName,
            CheckpointLayout.Mixtral => MixtralToCanonical(fileName),
            CheckpointLayout.DeepSeekMoe or CheckpointLayout.PluginMoE => SharedFile().Replace(fileName, "$1mlp.shared_expert.", 1),
            _ => throw new ArgumentException("a file has a concrete layout, not Auto", nameof(layout)),
        };
        return ToFile(canonical, layout) == fileName ? canonical : null;
    }

    private static string MixtralFromCanonical(string name)
    {
        var m = ExpertCanonical().Match(name);
        if (m.Success)
        {
            var w = m.Groups[3].Value switch { "gate" => "w1", "down" => "w2", _ => "w3" };
            return $"{m.Groups[1].Value}block_sparse_moe.experts.{m.Groups[2].Value}.{w}.{m.Groups[4].Value}";
        }
        return RouterCanonical().Replace(name, "$1block_sparse_moe.gate.", 1);
    }

    private static string MixtralToCanonical(string name)
    {
        var m = ExpertMixtral().Match(name);
        if (m.Success)
        {
            var proj = m.Groups[3].Value switch { "1" => "gate", "2" => "down", _ => "up" };
            return $"{m.Groups[1].Value}mlp.experts.{m.Groups[2].Value}.{proj}_proj.{m.Groups[4].Value}";
        }
        return RouterMixtral().Replace(name, "$1mlp.gate.", 1);
    }

    [GeneratedRegex(@"^(model\.layers\.\d+\.)mlp\.experts\.(\d+)\.(gate|up|down)_proj\.(.+)$")]
    private static partial Regex ExpertCanonical();

    [GeneratedRegex(@"^(model\.layers\.\d+\.)block_sparse_moe\.experts\.(\d+)\.w([123])\.(.+)$")]
    private static partial Regex ExpertMixtral();

    [GeneratedRegex(@"^(model\.layers\.\d+\.)mlp\.gate\.")]
    private static partial Regex RouterCanonical();

    [GeneratedRegex(@"^(model\.layers\.\d+\.)block_sparse_moe\.gate\.")]
    private static partial Regex RouterMixtral();

    [GeneratedRegex(@"^(model\.layers\.\d+\.)mlp\.shared_expert\.")]
    private static partial Regex SharedCanonical();

    [GeneratedRegex(@"^(model\.layers\.\d+\.)mlp\.shared_experts\.")]
    private static partial Regex SharedFile();
}
