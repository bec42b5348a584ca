// Pure helpers of the benchmark suite: medians, the interleaving order of frameworks, and the FP32 peak of a CPU.
// BCL only: tests/PluginMoE.Bench.Tests compiles this file.
namespace PluginMoE.Bench.E2E;

internal static class SuiteMath
{
    /// <summary>The median (mean of the two middle values for an even count); NaN when empty.</summary>
    public static double Median(IEnumerable<double> values)
    {
        var v = values.Order().ToArray();
        if (v.Length == 0) return double.NaN;
        return v.Length % 2 == 1 ? v[v.Length / 2] : (v[v.Length / 2 - 1] + v[v.Length / 2]) / 2;
    }

    /// <summary>
    /// The frameworks in the order they run for case number <paramref name="caseIndex"/> of round <paramref name="round"/>:
    /// rotated by one per case and per round, so no framework always runs first (right after a build or another's run).
    /// </summary>
    public static IReadOnlyList<string> Order(IReadOnlyList<string> frameworks, int round, int caseIndex)
    {
        if (frameworks.Count == 0) return [];
        int shift = (round + caseIndex) % frameworks.Count;
        return [.. frameworks.Skip(shift), .. frameworks.Take(shift)];
    }

    /// <summary>
    /// FP32 peak GFLOP/s of <paramref name="cores"/> cores at <paramref name="ghz"/>: FMA units x SIMD lanes x 2 FLOP per
    /// cycle. With AVX-512 (Zen 5 server cores, Ice Lake and later Xeons) two 512-bit FMA units: 2 x 16 x 2 = 64 FLOP per
    /// cycle; with AVX2 only, two 256-bit FMA units: 32.
    /// </summary>
    public static double PeakGflops(int cores, double ghz, bool avx512) => cores * ghz * (avx512 ? 64 : 32);
}
