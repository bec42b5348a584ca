// Mean and spread of one measurement over the seeds of a multi-seed run: the report's cells are "mean ± s", where s
// is the sample standard deviation (n - 1 in the denominator; 0 for a single seed), and min/max are kept beside them.
using System.Globalization;

namespace PluginMoE.Core.Recipe;

/// <summary>Mean, sample standard deviation, minimum and maximum of one value over the seeds.</summary>
/// <param name="Mean">Arithmetic mean.</param>
/// <param name="StandardDeviation">Sample standard deviation (divides by n - 1); 0 for one value.</param>
/// <param name="Min">Smallest value.</param>
/// <param name="Max">Largest value.</param>
/// <param name="Count">Number of values (seeds).</param>
public readonly record struct SeedSpread(double Mean, double StandardDeviation, double Min, double Max, int Count)
{
    /// <summary>The statistics of <paramref name="values"/> (NaN throughout when there are none).</summary>
    public static SeedSpread Of(IEnumerable<double> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        var v = values.ToList();
        if (v.Count == 0) return new SeedSpread(double.NaN, double.NaN, double.NaN, double.NaN, 0);
        double mean = v.Average();
        double std = v.Count < 2 ? 0 : Math.Sqrt(v.Sum(x => (x - mean) * (x - mean)) / (v.Count - 1));
        return new SeedSpread(mean, std, v.Min(), v.Max(), v.Count);
    }

    /// <summary>"mean" with one seed, "mean ± std" with several, each with <paramref name="format"/> (e.g. <c>F3</c>).</summary>
    public string Format(string format) =>
        Count > 1
            ? $"{Mean.ToString(format, CultureInfo.InvariantCulture)} ± {StandardDeviation.ToString(format, CultureInfo.InvariantCulture)}"
            : Mean.ToString(format, CultureInfo.InvariantCulture);
}
