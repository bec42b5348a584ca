// What the end-to-end worker times in each framework: a training step, a prefill and a KV-cache decode call.
namespace PluginMoE.Bench.E2E;

/// <summary>One model of the suite in one framework, built with its data (a fixed random-byte batch).</summary>
internal interface IE2eModel
{
    /// <summary>Forward, cross-entropy plus the MoE auxiliary loss, backward, AdamW step.</summary>
    void TrainStep();

    /// <summary>Switches to inference: eval mode, and the router's inference form where it has one (frozen Nexus).</summary>
    void EnterInference();

    /// <summary>Forward of the whole (B, T) batch without gradients.</summary>
    void Prefill();

    /// <summary>A <see cref="E2eConfig.Prompt"/>-token prompt, then <see cref="E2eConfig.Decode"/> tokens one at a time with the KV cache.</summary>
    void DecodeCall();

    /// <summary>Managed bytes this framework's step allocates are what <c>alloc_mb_per_step</c> reports; true for PluginMoE only
    /// (LibTorch's and PyTorch's native allocations are not visible to the GC counter).</summary>
    bool ReportsAllocations { get; }
}
