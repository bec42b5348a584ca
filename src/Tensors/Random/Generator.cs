// A seeded random number generator (PyTorch's torch.Generator). Draw i of a call uses Philox counter
// (offset + i/4), so results do not depend on how work is split over threads.
using PluginMoE.Tensors.Random;

namespace PluginMoE.Tensors;

/// <summary>
/// Seeded, counter-based random generator. Every draw advances a 64-bit offset; <see cref="get_state"/>
/// and <see cref="set_state"/> capture and restore it exactly (for resumable training).
/// </summary>
public sealed class Generator
{
    private ulong _seed;
    private ulong _offset;

    /// <summary>Creates a generator with the given seed.</summary>
    public Generator(long seed = 0) => manual_seed(seed);

    /// <summary>The seed this generator was last seeded with.</summary>
    public long initial_seed() => (long)_seed;

    /// <summary>Reseeds and rewinds to offset 0.</summary>
    public Generator manual_seed(long seed)
    {
        _seed = (ulong)seed;
        _offset = 0;
        return this;
    }

    /// <summary>Number of 4-word Philox blocks consumed so far.</summary>
    public ulong Offset => _offset;

    /// <summary>Captures (seed, offset) as two 64-bit words.</summary>
    public long[] get_state() => [(long)_seed, (long)_offset];

    /// <summary>Restores a state captured with <see cref="get_state"/>.</summary>
    public void set_state(long[] state)
    {
        ArgumentNullException.ThrowIfNull(state);
        if (state.Length != 2) throw new ArgumentException("generator state must have 2 elements (seed, offset)", nameof(state));
        _seed = (ulong)state[0];
        _offset = (ulong)state[1];
    }

    /// <summary>Reserves <paramref name="words"/> 32-bit words; returns the first block's counter.</summary>
    internal ulong Reserve(long words)
    {
        ulong start = _offset;
        _offset += (ulong)((words + 3) / 4);
        return start;
    }

    internal ulong Key => _seed;

    /// <summary>Fills with uniform floats in [0, 1) (24 random bits each).</summary>
    internal void FillUniform(Span<float> dst, float low, float high)
    {
        ulong start = Reserve(dst.Length);
        ulong key = _seed;
        float scale = (high - low) / (1 << 24);
        for (int b = 0; b < (dst.Length + 3) / 4; b++)
        {
            Philox.Block(start + (ulong)b, 0, key, out uint r0, out uint r1, out uint r2, out uint r3);
            int i = b * 4;
            dst[i] = low + (r0 >> 8) * scale;
            if (i + 1 < dst.Length) dst[i + 1] = low + (r1 >> 8) * scale;
            if (i + 2 < dst.Length) dst[i + 2] = low + (r2 >> 8) * scale;
            if (i + 3 < dst.Length) dst[i + 3] = low + (r3 >> 8) * scale;
        }
    }

    /// <summary>Fills with uniform doubles in [low, high) (53 random bits each).</summary>
    internal void FillUniform(Span<double> dst, double low, double high)
    {
        ulong start = Reserve(2L * dst.Length);
        ulong key = _seed;
        double scale = (high - low) / (1UL << 53);
        for (int b = 0; b < (dst.Length + 1) / 2; b++)
        {
            Philox.Block(start + (ulong)b, 0, key, out uint r0, out uint r1, out uint r2, out uint r3);
            int i = b * 2;
            ulong u0 = (((ulong)r0 << 32) | r1) >> 11;
            ulong u1 = (((ulong)r2 << 32) | r3) >> 11;
            dst[i] = low + u0 * scale;
            if (i + 1 < dst.Length) dst[i + 1] = low + u1 * scale;
        }
    }

    /// <summary>Fills with normal samples (Box-Muller on Philox pairs).</summary>
    internal void FillNormal(Span<double> dst, double mean, double std)
    {
        ulong start = Reserve(dst.Length);
        ulong key = _seed;
        for (int b = 0; b < (dst.Length + 1) / 2; b++)
        {
            Philox.Block(start + (ulong)b, 1, key, out uint r0, out uint r1, out uint r2, out uint r3);
            // u1 in (0, 1], u2 in [0, 1)
            double u1 = ((((ulong)r0 << 21) ^ r1) % (1UL << 53) + 1.0) / (1UL << 53);
            double u2 = ((((ulong)r2 << 21) ^ r3) % (1UL << 53)) / (double)(1UL << 53);
            double rad = Math.Sqrt(-2.0 * Math.Log(u1));
            double th = 2.0 * Math.PI * u2;
            int i = b * 2;
            dst[i] = mean + std * rad * Math.Cos(th);
            if (i + 1 < dst.Length) dst[i + 1] = mean + std * rad * Math.Sin(th);
        }
    }

    /// <summary>Fills with normal float samples.</summary>
    internal void FillNormal(Span<float> dst, float mean, float std)
    {
        var tmp = new double[dst.Length];
        FillNormal(tmp, mean, std);
        for (int i = 0; i < dst.Length; i++) dst[i] = (float)tmp[i];
    }

    /// <summary>Fills with integers uniform in [low, high).</summary>
    internal void FillInt(Span<long> dst, long low, long high)
    {
        if (high <= low) throw new ArgumentException($"randint: high ({high}) must be greater than low ({low})");
        ulong range = (ulong)(high - low);
        ulong start = Reserve(2L * dst.Length);
        ulong key = _seed;
        for (int b = 0; b < (dst.Length + 1) / 2; b++)
        {
            Philox.Block(start + (ulong)b, 2, key, out uint r0, out uint r1, out uint r2, out uint r3);
            int i = b * 2;
            // 64 random bits modulo range: bias below 2^-32 for ranges under 2^32.
            dst[i] = low + (long)((((ulong)r0 << 32) | r1) % range);
            if (i + 1 < dst.Length) dst[i + 1] = low + (long)((((ulong)r2 << 32) | r3) % range);
        }
    }
}
