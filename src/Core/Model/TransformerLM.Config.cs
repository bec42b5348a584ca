// Architecture checks of a ModelConfig, with messages that name the config property and what would work.
using PluginMoE.Abstractions.Checkpoints;

namespace PluginMoE.Core.Model;

public sealed partial class TransformerLM
{
    /// <summary>Throws <see cref="ArgumentException"/> listing every inconsistency of <paramref name="c"/>.</summary>
    internal static void Validate(ModelConfig c)
    {
        var errors = new List<string>();
        void Positive(string name, long value) { if (value <= 0) errors.Add($"{name} must be positive, got {value}"); }
        Positive(nameof(c.VocabSize), c.VocabSize);
        Positive(nameof(c.HiddenSize), c.HiddenSize);
        Positive(nameof(c.IntermediateSize), c.IntermediateSize);
        Positive(nameof(c.NumHiddenLayers), c.NumHiddenLayers);
        Positive(nameof(c.NumAttentionHeads), c.NumAttentionHeads);
        Positive(nameof(c.NumKeyValueHeads), c.NumKeyValueHeads);
        Positive(nameof(c.MaxPositionEmbeddings), c.MaxPositionEmbeddings);
        if (c.NumAttentionHeads > 0 && c.HiddenSize % c.NumAttentionHeads != 0)
            errors.Add($"HiddenSize ({c.HiddenSize}) must be divisible by NumAttentionHeads ({c.NumAttentionHeads})");
        else if (c.NumAttentionHeads > 0 && c.HeadDim % 2 != 0)
            errors.Add($"the head width HiddenSize / NumAttentionHeads = {c.HeadDim} must be even for rotary embeddings");
        if (c.NumKeyValueHeads > 0 && c.NumAttentionHeads % c.NumKeyValueHeads != 0)
            errors.Add($"NumAttentionHeads ({c.NumAttentionHeads}) must be a multiple of NumKeyValueHeads ({c.NumKeyValueHeads})");
        if (c.RmsNormEps <= 0) errors.Add($"RmsNormEps must be positive, got {c.RmsNormEps}");
        if (c.RopeTheta <= 0) errors.Add($"RopeTheta must be positive, got {c.RopeTheta}");
        if (c.Moe is { } m)
        {
            if (m.NumExperts < 1) errors.Add($"Moe.NumExperts must be at least 1, got {m.NumExperts}");
            if (m.ExpertIntermediateSize is <= 0) errors.Add($"Moe.ExpertIntermediateSize must be positive (or unset for IntermediateSize), got {m.ExpertIntermediateSize}");
            if (m.TopK < 1 || m.TopK > m.NumExperts) errors.Add($"Moe.TopK ({m.TopK}) must be between 1 and Moe.NumExperts ({m.NumExperts})");
            foreach (var l in m.MoeLayers ?? [])
                if (l < 0 || l >= c.NumHiddenLayers) errors.Add($"Moe.MoeLayers lists layer {l}, but the model has layers 0..{c.NumHiddenLayers - 1}");
            if (m.ExpertGroups is { } groups)
            {
                foreach (var g in groups.Where(g => g.Count < 1 || string.IsNullOrWhiteSpace(g.Expert)))
                    errors.Add($"Moe.ExpertGroups: group '{g.Expert}' x {g.Count} needs an expert plugin name and a count of at least 1");
                if (groups.Sum(g => g.Count) != m.NumExperts)
                    errors.Add($"Moe.ExpertGroups hold {string.Join(" + ", groups.Select(g => $"{g.Count} '{g.Expert}'"))} = {groups.Sum(g => g.Count)} experts but Moe.NumExperts is {m.NumExperts}; they must be equal");
            }
            if (m.Domains.Count > 0 && m.Domains.Count != m.NumExperts)
                errors.Add($"Moe.Domains names {m.Domains.Count} domains for {m.NumExperts} experts; give one per expert or none");
        }
        if (errors.Count > 0)
            throw new ArgumentException("invalid model config:\n\t" + string.Join("\n\t", errors));
    }
}
