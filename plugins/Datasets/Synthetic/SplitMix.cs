// A tiny seeded generator (SplitMix64) for the synthetic domains: same numbers on every machine.
namespace PluginMoE.Plugins.Datasets.Synthetic;

internal sealed class SplitMix(ulong seed)
{
    private ulong _state = seed;

    /// <summary>A generator for one document, from the seed, the domain name and the document index.</summary>
    public static SplitMix ForDocument(long seed, string domain, int index)
    {
        ulong h = 14695981039346656037UL;
        foreach (char c in domain) h = (h ^ c) * 1099511628211UL;
        return new SplitMix(h ^ ((ulong)seed * 0x9E3779B97F4A7C15UL) ^ ((ulong)index * 0xD1B54A32D192ED03UL));
    }

    public ulong Next()
    {
        ulong z = _state += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>Uniform in [0, n).</summary>
    public int Below(int n) => (int)(Next() % (ulong)n);

    public T Pick<T>(IReadOnlyList<T> items) => items[Below(items.Count)];
}
