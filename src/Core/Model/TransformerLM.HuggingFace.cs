// The model's Hugging Face form, asked of its components (IHuggingFaceExpert, IHuggingFaceRouter) rather than read
// from plugin names: the checkpoint layout selector uses it, so only the modules decide what a layout can hold.
using PluginMoE.Abstractions.Checkpoints;
using PluginMoE.Abstractions.Experts;
using PluginMoE.Abstractions.Routing;
using PluginMoE.Tensors;

namespace PluginMoE.Core.Model;

public sealed partial class TransformerLM
{
    /// <summary>How this model's FFNs and routers map onto Hugging Face Llama MLPs and linear gates (see <see cref="HuggingFaceForm"/>).</summary>
    public HuggingFaceForm DescribeHuggingFace()
    {
        var ffns = new List<(string Where, ExpertModule Expert, int Width)>();
        for (int i = 0; i < _model.Layers.Count; i++)
        {
            var layer = _model.Layers[i];
            if (layer.Dense is { } dense) ffns.Add(($"layer {i}'s FFN", dense, Config.IntermediateSize));
            if (layer.Moe is not { } moe) continue;
            for (int j = 0; j < moe.Experts.Count; j++) ffns.Add(($"layer {i}'s expert {j}", moe.Experts[j], Config.ExpertIntermediateSize));
            if (moe.SharedExpert is { } shared) ffns.Add(($"layer {i}'s shared expert", shared, Config.Moe!.SharedExpertIntermediateSize ?? 0));
        }
        string? act = null, ffnObstacle = null;
        foreach (var (where, expert, width) in ffns)
        {
            var mlp = (expert as IHuggingFaceExpert)?.ToHuggingFace();
            ffnObstacle = mlp is null ? $"{where} ('{Config.ExpertType}' expert) is not a Hugging Face Llama MLP"
                : act is not null && mlp.HiddenAct != act ? $"{where} uses hidden_act '{mlp.HiddenAct}', other FFNs '{act}'"
                : mlp.IntermediateSize != width ? $"{where} is {mlp.IntermediateSize} wide but the config's width is {width} (an expert width option has no Hugging Face equivalent)"
                : !mlp.WeightNames.SequenceEqual(HuggingFaceMlp.LlamaWeightNames) ? $"{where} names its weights [{string.Join(", ", mlp.WeightNames)}], not the Llama MLP's"
                : !expert.state_dict().Keys.Order(StringComparer.Ordinal).SequenceEqual(mlp.WeightNames.Order(StringComparer.Ordinal)) ? $"{where} has tensors other than its Llama MLP weights"
                : null;
            if (ffnObstacle is not null) { act = null; break; }
            act = mlp!.HiddenAct;
        }

        bool? renormalize = null;
        string? routerObstacle = null;
        double jitter = 0;
        foreach (var (i, block) in MoeLayers)
        {
            var gate = (block.Router as IHuggingFaceRouter)?.ToHuggingFace();
            var names = block.Router.state_dict().Keys.ToList();
            routerObstacle = gate is null ? $"layer {i}'s router ('{Config.Moe!.Router}') is not a Hugging Face linear gate"
                : renormalize is { } r && r != gate.RenormalizeTopK ? $"layer {i}'s gate renormalises the top-k weights differently from layer {MoeLayers[0].Layer}'s"
                : names is not ["weight"] || !ReferenceEquals(block.Router.state_dict()["weight"], gate.Weight) && !SameValues(block.Router.state_dict()["weight"], gate.Weight)
                    ? $"layer {i}'s router holds [{string.Join(", ", names)}], not just the gate weight (export its inference form)"
                : null;
            if (routerObstacle is not null) { renormalize = null; break; }
            renormalize = gate!.RenormalizeTopK;
            jitter = gate.JitterNoise;
        }
        return new HuggingFaceForm
        {
            HiddenAct = act,
            FfnObstacle = ffnObstacle,
            RenormalizeTopK = renormalize,
            RouterObstacle = routerObstacle,
            RouterJitterNoise = jitter,
        };
    }

    private static bool SameValues(Tensor a, Tensor b) =>
        a.shape.SequenceEqual(b.shape) && a.dtype == b.dtype && (a - b).abs().max().ToDouble() == 0;
}
