// How close each end-to-end case runs to this machine's FP32 peak: achieved model GFLOP/s (FlopModel) and their share of
// the peak of the case's thread count, the weight bytes/s of decoding, the thread scaling of each framework, and whether
// a tokens/s target would need more than the peak ("above the machine's bound"). BCL only: tests/PluginMoE.Bench.Tests
// compiles this file.
using System.Globalization;
using System.Text;

namespace PluginMoE.Bench.E2E;

internal static class Roofline
{
    private static readonly string[] Frameworks = [SuiteReport.Ours, SuiteReport.PyTorch, SuiteReport.TorchSharp];

    /// <summary>Model GFLOP/s of <paramref name="tokS"/> tokens/s at <paramref name="flopsPerToken"/>; null without a rate.</summary>
    public static double? Gflops(double? tokS, double flopsPerToken) => tokS is double t ? t * flopsPerToken / 1e9 : null;

    /// <summary>The FP32 peak of <paramref name="threads"/> cores (one core's peak times the thread count), or null.</summary>
    public static double? Peak(double? peakPerCore, int threads) => peakPerCore is double p ? p * threads : null;

    /// <summary>
    /// Whether <paramref name="neededTokS"/> tokens/s at <paramref name="flopsPerToken"/> needs more than the peak of
    /// <paramref name="threads"/> cores: the GFLOP/s needed and its multiple of the peak when it does; null when it does
    /// not or the peak is unknown.
    /// </summary>
    public static (double Needed, double Peak, double Factor)? AboveBound(double neededTokS, double flopsPerToken, double? peakPerCore, int threads)
    {
        if (Peak(peakPerCore, threads) is not double peak || peak <= 0) return null;
        double needed = neededTokS * flopsPerToken / 1e9;
        return needed > peak ? (needed, peak, needed / peak) : null;
    }

    /// <summary>
    /// One JSON line per case and framework (<c>"e2e":"roofline"</c>): model MFLOP per token of each phase, achieved
    /// GFLOP/s, their percentage of the peak at the case's thread count, and decode's weight GB/s.
    /// </summary>
    public static IEnumerable<string> Lines(IReadOnlyList<E2eResult> agg, double? peakPerCore)
    {
        foreach (var r in Ordered(agg).Where(r => r.Error is null))
        {
            var f = FlopModel.For(E2eConfig.Find(r.Model), r.Router);
            var s = new StringBuilder();
            s.Append(CultureInfo.InvariantCulture, $"{{\"e2e\":\"roofline\",\"framework\":\"{r.Framework}\",\"model\":\"{r.Model}\",\"router\":\"{r.Router}\",\"threads\":{r.Threads}");
            void Field(string name, double? v)
            {
                if (v is double x) s.Append(",\"").Append(name).Append("\":").Append(E2eResult.Num(x));
            }
            Field("train_mflop_per_token", f.TrainFlopsPerToken / 1e6);
            Field("prefill_mflop_per_token", f.PrefillFlopsPerToken / 1e6);
            Field("decode_mflop_per_token", f.DecodeFlopsPerToken / 1e6);
            Field("decode_weight_mb_per_token", f.DecodeWeightBytes / 1e6);
            Field("peak_gflops", Peak(peakPerCore, r.Threads));
            var train = Gflops(r.TrainTokS, f.TrainFlopsPerToken);
            var prefill = Gflops(r.PrefillTokS, f.PrefillFlopsPerToken);
            Field("train_gflops", train);
            Field("train_pct_peak", Pct(train, peakPerCore, r.Threads));
            Field("prefill_gflops", prefill);
            Field("prefill_pct_peak", Pct(prefill, peakPerCore, r.Threads));
            Field("decode_gflops", Gflops(r.DecodeTokS, f.DecodeFlopsPerToken));
            Field("decode_weight_gb_s", r.DecodeTokS is double d ? d * f.DecodeWeightBytes / 1e9 : null);
            yield return s.Append('}').ToString();
        }
    }

    private static double? Pct(double? gflops, double? peakPerCore, int threads) =>
        gflops is double g && Peak(peakPerCore, threads) is double p && p > 0 ? 100 * g / p : null;

    private static IEnumerable<E2eResult> Ordered(IReadOnlyList<E2eResult> agg)
    {
        var order = E2eConfig.All.Select(c => c.Name).ToList();
        return agg.OrderBy(r => order.IndexOf(r.Model)).ThenBy(r => SuiteReport.RouterOrder(r.Router)).ThenBy(r => r.Threads)
            .ThenBy(r => Array.IndexOf(Frameworks, r.Framework));
    }

    /// <summary>
    /// The roofline table: per case the model MFLOP per token (train / prefill / decode), the peak of its thread count,
    /// and for ours / PyTorch / TorchSharp the achieved GFLOP/s and % of that peak of training and prefill, and the float32
    /// weight GB/s of decoding (weight MB one decode step reads x decoded tokens/s).
    /// </summary>
    public static string Table(IReadOnlyList<E2eResult> agg, double? peakPerCore)
    {
        var s = new StringBuilder();
        s.AppendLine("| config | router | threads | MFLOP/token train / prefill / decode | FP32 peak GFLOP/s | train GFLOP/s ours / PT / TS | train % of peak ours / PT / TS | prefill GFLOP/s ours / PT / TS | prefill % of peak ours / PT / TS | decode weight MB/token | decode weight GB/s ours / PT / TS |");
        s.AppendLine("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
        foreach (var c in Ordered(agg).Select(r => r.Case).Distinct())
        {
            var f = FlopModel.For(E2eConfig.Find(c.Model), c.Router);
            var rows = Frameworks.Select(fw => SuiteReport.Get(agg, c, fw)).ToArray();
            string Three(Func<E2eResult, double?> v) =>
                string.Join(" / ", rows.Select(r => r is null ? "-" : r.Error is not null ? "failed" : SuiteReport.F(v(r))));
            string M(double flops) => SuiteReport.F(flops / 1e6);
            s.Append(CultureInfo.InvariantCulture, $"| {c.Model} | {c.Router} | {c.Threads} | ")
                .Append(M(f.TrainFlopsPerToken)).Append(" / ").Append(M(f.PrefillFlopsPerToken)).Append(" / ").Append(M(f.DecodeFlopsPerToken)).Append(" | ")
                .Append(SuiteReport.F(Peak(peakPerCore, c.Threads))).Append(" | ")
                .Append(Three(r => Gflops(r.TrainTokS, f.TrainFlopsPerToken))).Append(" | ")
                .Append(Three(r => Pct(Gflops(r.TrainTokS, f.TrainFlopsPerToken), peakPerCore, c.Threads))).Append(" | ")
                .Append(Three(r => Gflops(r.PrefillTokS, f.PrefillFlopsPerToken))).Append(" | ")
                .Append(Three(r => Pct(Gflops(r.PrefillTokS, f.PrefillFlopsPerToken), peakPerCore, c.Threads))).Append(" | ")
                .Append(SuiteReport.F(f.DecodeWeightBytes / 1e6)).Append(" | ")
                .Append(Three(r => r.DecodeTokS is double d ? d * f.DecodeWeightBytes / 1e9 : null)).AppendLine(" |");
        }
        return s.ToString();
    }

    /// <summary>
    /// Thread scaling per config and router: each framework's tokens/s at the most threads over its tokens/s at the
    /// fewest (training, prefill, decode); empty when the run measured one thread count.
    /// </summary>
    public static List<(string Model, string Router, int From, int To, string Framework, double? Train, double? Prefill, double? Decode)> Scaling(IReadOnlyList<E2eResult> agg)
    {
        var list = new List<(string, string, int, int, string, double?, double?, double?)>();
        foreach (var g in Ordered(agg).Where(r => r.Error is null).GroupBy(r => (r.Model, r.Router, r.Framework)))
        {
            var lo = g.MinBy(r => r.Threads)!;
            var hi = g.MaxBy(r => r.Threads)!;
            if (lo.Threads == hi.Threads) continue;
            static double? Div(double? a, double? b) => a is double x && b is double y && y > 0 ? x / y : null;
            list.Add((g.Key.Model, g.Key.Router, lo.Threads, hi.Threads, g.Key.Framework,
                Div(hi.TrainTokS, lo.TrainTokS), Div(hi.PrefillTokS, lo.PrefillTokS), Div(hi.DecodeTokS, lo.DecodeTokS)));
        }
        return list;
    }

    /// <summary>The thread-scaling table (<see cref="Scaling"/>): one row per config and router, ours / PyTorch / TorchSharp.</summary>
    public static string ScalingTable(IReadOnlyList<E2eResult> agg)
    {
        var rows = Scaling(agg);
        if (rows.Count == 0) return "";
        var s = new StringBuilder();
        s.AppendLine("| config | router | threads | train tok/s scaling ours / PT / TS | prefill scaling ours / PT / TS | decode scaling ours / PT / TS |");
        s.AppendLine("| --- | --- | ---: | ---: | ---: | ---: |");
        foreach (var g in rows.GroupBy(r => (r.Model, r.Router)))
        {
            var first = g.First();
            string Three(Func<(string, string, int, int, string Framework, double? Train, double? Prefill, double? Decode), double?> v) =>
                string.Join(" / ", Frameworks.Select(fw => g.FirstOrDefault(r => r.Framework == fw) is var r && r.Framework is not null ? SuiteReport.F(v(r)) : "-"));
            s.Append(CultureInfo.InvariantCulture, $"| {first.Model} | {first.Router} | {first.From} -> {first.To} | ")
                .Append(Three(r => r.Train)).Append(" | ").Append(Three(r => r.Prefill)).Append(" | ").Append(Three(r => r.Decode)).AppendLine(" |");
        }
        return s.ToString();
    }
}
