// The ratio of one figure between two frameworks on one case, over the rounds of a suite run: the median of the
// per-round ratios (rounds are interleaved, so round r of both ran side by side) and their spread (min-max).
// BCL only: tests/PluginMoE.Bench.Tests compiles this file.
namespace PluginMoE.Bench.E2E;

/// <summary>
/// Median, min and max over <see cref="Rounds"/> paired rounds of ours/reference for one figure; with one round (or
/// results that carry no rounds) the single ratio, and no spread.
/// </summary>
internal sealed record RatioStat(double Median, double Min, double Max, int Rounds)
{
    /// <summary>
    /// The ratio <paramref name="figure"/>(a) / <paramref name="figure"/>(b): per round where both results carry their
    /// rounds (<see cref="E2eResult.PerRound"/>, paired by <see cref="E2eResult.Round"/>), else of the two figures as
    /// they are (the medians); null when a figure is missing or the reference's is not positive.
    /// </summary>
    public static RatioStat? Of(E2eResult a, E2eResult b, Func<E2eResult, double?> figure)
    {
        static double? Div(double? x, double? y) => x is double p && y is double q && q > 0 ? p / q : null;
        if (a.PerRound is { } ra && b.PerRound is { } rb)
        {
            var ratios = (from x in ra
                          join y in rb on x.Round equals y.Round
                          where x.Round is not null
                          let r = Div(figure(x), figure(y))
                          where r is not null
                          select r!.Value).ToList();
            if (ratios.Count > 0) return new RatioStat(SuiteMath.Median(ratios), ratios.Min(), ratios.Max(), ratios.Count);
        }
        return Div(figure(a), figure(b)) is double single ? new RatioStat(single, single, single, 1) : null;
    }

    /// <summary>"min-max" over the rounds, or "-" with fewer than two.</summary>
    public string Spread => Rounds >= 2 ? $"{Format(Min)}-{Format(Max)}" : "-";

    /// <summary>The median, with the spread in brackets when there is one: "1.50" or "1.50 (1.41-1.62)".</summary>
    public override string ToString() => Rounds >= 2 ? $"{Format(Median)} ({Spread})" : Format(Median);

    internal static string Format(double v) => SuiteReport.F(v);
}
