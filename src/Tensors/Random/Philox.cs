// Philox4x32-10 counter-based generator (Salmon et al., SC'11): the same (key, counter) gives the same
// four 32-bit words on every machine, so random tensors depend only on the seed and the draw order.
namespace PluginMoE.Tensors.Random;

/// <summary>Philox4x32 with 10 rounds, the generator cuRAND and PyTorch's CUDA backend use.</summary>
internal static class Philox
{
    private const uint M0 = 0xD2511F53, M1 = 0xCD9E8D57, W0 = 0x9E3779B9, W1 = 0xBB67AE85;

    /// <summary>Computes the 4-word block for a 128-bit counter (c0..c3) and 64-bit key (k0, k1).</summary>
    public static void Block(ulong counter, ulong stream, ulong key, out uint r0, out uint r1, out uint r2, out uint r3)
    {
        uint c0 = (uint)counter, c1 = (uint)(counter >> 32), c2 = (uint)stream, c3 = (uint)(stream >> 32);
        uint k0 = (uint)key, k1 = (uint)(key >> 32);
        for (int i = 0; i < 10; i++)
        {
            ulong p0 = (ulong)M0 * c0;
            ulong p1 = (ulong)M1 * c2;
            uint hi0 = (uint)(p0 >> 32), lo0 = (uint)p0, hi1 = (uint)(p1 >> 32), lo1 = (uint)p1;
            uint n0 = hi1 ^ c1 ^ k0;
            uint n1 = lo1;
            uint n2 = hi0 ^ c3 ^ k1;
            uint n3 = lo0;
            c0 = n0; c1 = n1; c2 = n2; c3 = n3;
            k0 += W0; k1 += W1;
        }
        r0 = c0; r1 = c1; r2 = c2; r3 = c3;
    }
}
