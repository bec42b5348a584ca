// A batch of next-token prediction windows: inputs are tokens t..t+T-1, targets t+1..t+T.
using PluginMoE.Tensors;

namespace PluginMoE.Core.Data;

/// <summary>B windows of T tokens with their targets and the domain each window came from.</summary>
/// <param name="Inputs">(B, T) int64 token ids.</param>
/// <param name="Targets">(B, T) int64 next-token ids.</param>
/// <param name="Domains">Domain of each row (B).</param>
public sealed record TokenBatch(Tensor Inputs, Tensor Targets, IReadOnlyList<string> Domains)
{
    /// <summary>Builds a batch from windows of T+1 tokens each.</summary>
    internal static TokenBatch FromWindows(IReadOnlyList<ReadOnlyMemory<int>> windows, IReadOnlyList<string> domains, int sequenceLength)
    {
        int b = windows.Count, t = sequenceLength;
        var inputs = new long[b * t];
        var targets = new long[b * t];
        for (int r = 0; r < b; r++)
        {
            var w = windows[r].Span;                                  // (T + 1)
            for (int i = 0; i < t; i++)
            {
                inputs[r * t + i] = w[i];
                targets[r * t + i] = w[i + 1];
            }
        }
        return new TokenBatch(torch.tensor(inputs, [b, t]), torch.tensor(targets, [b, t]), domains);
    }
}
