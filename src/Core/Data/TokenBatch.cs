// A batch of next-token prediction windows: inputs are tokens t..t+T-1, targets t+1..t+T.
using PluginMoE.Tensors;

namespace PluginMoE.Core.Data;

/// <summary>B windows of T tokens with their targets and the domain each window came from.</summary>
/// <param name="Inputs">(B, T) int64 token ids.</param>
/// <param name="Targets">(B, T) int64 next-token ids.</param>
/// <param name="Domains">Domain of each row (B).</param>
public sealed record TokenBatch(Tensor Inputs, Tensor Targets, IReadOnlyList<string> Domains)
{
    /// <summary>Target id of padded positions; the loss skips it (cross_entropy's default <c>ignore_index</c>).</summary>
    public const long IgnoreIndex = -100;

    /// <summary>Marks padding inside a window: the input there is token 0 and the target <see cref="IgnoreIndex"/>.</summary>
    internal const int Padding = -1;

    /// <summary>Number of targets that are real tokens (not <see cref="IgnoreIndex"/>).</summary>
    public long CountTargets()
    {
        long n = 0;
        foreach (long t in Targets.contiguous().data<long>()) if (t != IgnoreIndex) n++;
        return n;
    }

    /// <summary>Builds a batch from windows of T+1 tokens each (<see cref="Padding"/> entries become ignored targets).</summary>
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
                inputs[r * t + i] = w[i] < 0 ? 0 : w[i];
                targets[r * t + i] = w[i + 1] < 0 ? IgnoreIndex : w[i + 1];
            }
        }
        return new TokenBatch(torch.tensor(inputs, [b, t]), torch.tensor(targets, [b, t]), domains);
    }
}
