// The model's Hugging Face form, asked of its components (IHuggingFaceExpert, IHuggingFaceRouter) rather than read
// from plugin names: the checkpoint layout selector uses it, so only the modules decide what a layout can hold.
using PluginMoE.Abstractions.Checkpoints;
using PluginMoE.Abstractions.Experts;

namespace PluginMoE.Core.Model;

public sealed partial class TransformerLM
{
    /// <summary>How this model's FFNs and routers map onto Hugging Face Llama MLPs and linear gates (see <see cref="HuggingFaceForm"/>).</summary>
    public HuggingFaceForm DescribeHuggingFace()
    {
        var ffns = new List<(string Where, ExpertModule Expert, string Plugin, int Width)>();
        for (int i = 0; i < _model.Layers.Count; i++)
        {
            var layer = _model.Layers[i];
            if (layer.Dense is { } dense) ffns.Add(($"layer {i}'s FFN", dense, Config.ExpertType, Config.IntermediateSize));
            if (layer.Moe is not { } moe) continue;
            for (int j = 0; j < moe.Experts.Count; j++) ffns.Add(($"layer {i}'s expert {j}", moe.Experts[j], Config.RoutedExpert(j).Expert, Config.ExpertIntermediateSize));
            if (moe.SharedExpert is { } shared) ffns.Add(($"layer {i}'s shared expert", shared, Config.ExpertType, Config.Moe!.SharedExpertIntermediateSize ?? 0));
        }
        string? act = null, ffnObstacle = null;
        foreach (var (where, expert, plugin, width) in ffns)
        {
            var mlp = (expert as IHuggingFaceExpert)?.ToHuggingFace();
            ffnObstacle = mlp is null ? $"{where} ('{plugin}' expert) is not a Hugging Face Llama MLP"
                : act is not null && mlp.HiddenAct != act ? $"{where} uses hidden_act '{mlp.HiddenAct}', other FFNs '{act}'"
                : mlp.IntermediateSize != width ? $"{where} is {mlp.IntermediateSize} wide but the config's width is {width} (an expert width option has no Hugging Face equivalent)"
                : !mlp.WeightNames.SequenceEqual(HuggingFaceMlp.LlamaWeightNames) ? $"{where} names its weights [{string.Join(", ", mlp.WeightNames)}], not the Llama MLP's"
                : !expert.state_dict().Keys.Order(StringComparer.Ordinal).SequenceEqual(mlp.WeightNames.Order(StringComparer.Ordinal)) ? $"{where} has tensors other than its Llama MLP weights"
                : null;
            if (ffnObstacle is not null) { act = null; break; }
            act = mlp!.HiddenAct;
        }

        if (Config.Moe?.ExpertGroups is { } groups) // the clearest reason first, whatever the experts report
        {
            ffnObstacle = $"its MoE blocks mix expert kinds ({Groups(groups)}), and Hugging Face layouts have one kind of expert";
            act = null;
        }
        var ffn = new HuggingFaceForm { HiddenAct = act, FfnObstacle = ffnObstacle };
        return Config.Moe is { } m
            ? HuggingFaceRouters.Describe(ffn, [.. MoeLayers.Select(l => ($"layer {l.Layer}", l.Block.Router))], m.Router)
            : ffn;
    }

    /// <summary>"8 'swiglu' + 4 'null'".</summary>
    internal static string Groups(IEnumerable<ExpertGroup> groups) => string.Join(" + ", groups.Select(g => $"{g.Count} '{g.Expert}'"));
}
