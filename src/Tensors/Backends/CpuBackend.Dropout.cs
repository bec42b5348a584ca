// CPU inverted-dropout kernel: Philox words are computed per 4-element block, so any split over threads
// gives the same mask; forward and backward share this kernel.
using System.Numerics;
using PluginMoE.Tensors.Random;

namespace PluginMoE.Tensors.Backends;

public sealed partial class CpuBackend
{
    /// <summary>Philox stream id of dropout masks (uniform, normal and randint use 0, 1 and 2).</summary>
    internal const ulong DropoutStream = 3;

    /// <inheritdoc/>
    public Tensor DropoutApply(Tensor x, double p, ulong seed, ulong counter)
    {
        CheckFloat(x, "dropout");
        if (!(p >= 0 && p < 1)) throw new ArgumentOutOfRangeException(nameof(p), p, "dropout: the kernel needs 0 <= p < 1");
        var y = Tensor.Empty(x.dtype, (int[])x.Sizes.Clone());
        if (x.dtype == ScalarType.Float32) DropoutApply<float>(x, y, p, seed, counter);
        else DropoutApply<double>(x, y, p, seed, counter);
        return y;
    }

    // x: (n) contiguous -> y: (n); word i of block b = counter + i / 4 decides element i.
    private static void DropoutApply<T>(Tensor x, Tensor y, double p, ulong seed, ulong counter) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var X = x.StorageAs<T>(); int xo = x.Offset;
        var Y = y.StorageAs<T>();
        int n = x.NumelCached;
        ulong threshold = (ulong)Math.Round(p * 4294967296.0);
        T scale = T.CreateChecked(1.0 / (1.0 - p));
        int blocks = (n + 3) / 4;
        ParallelFor.Run(blocks, 4096, (b0, b1) =>
        {
            Span<uint> words = stackalloc uint[4];
            for (int b = b0; b < b1; b++)
            {
                Philox.Block(counter + (ulong)b, DropoutStream, seed, out words[0], out words[1], out words[2], out words[3]);
                int i0 = b * 4, m = Math.Min(4, n - i0);
                for (int j = 0; j < m; j++)
                    Y[i0 + j] = words[j] >= threshold ? X[xo + i0 + j] * scale : T.Zero;
            }
        });
    }
}
