// A seeded sparse random projection (Achlioptas 2003, entries ±1/sqrt(m)): bucket j's row is generated from
// (seed, j) on demand, so no 2^b x m matrix is stored and the same seed gives the same projection everywhere.
// Cosines are preserved up to about 1/sqrt(m) (Johnson-Lindenstrauss).
namespace PluginMoE.Plugins.Embedders;

/// <summary>Projects sparse hashed vectors to <c>m</c> dense dimensions.</summary>
internal sealed class RandomProjection(int width, long seed)
{
    /// <summary>Output width m.</summary>
    public int Width { get; } = width;

    /// <summary>The projection of a sparse vector (m).</summary>
    public double[] Project(IReadOnlyDictionary<int, double> sparse)
    {
        var y = new double[Width];
        double scale = 1 / Math.Sqrt(Width);
        foreach (var (j, x) in sparse.OrderBy(kv => kv.Key))           // a fixed order: sums are bitwise reproducible
        {
            ulong state = (ulong)seed * 0x9E3779B97F4A7C15UL ^ ((ulong)(uint)j * 0xD1B54A32D192ED03UL);
            ulong bits = 0;
            for (int i = 0; i < Width; i++)
            {
                if ((i & 63) == 0) bits = Mix(ref state);
                y[i] += ((bits >> (i & 63)) & 1) == 0 ? x * scale : -x * scale;
            }
        }
        return y;
    }

    private static ulong Mix(ref ulong state)
    {
        ulong z = state += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
