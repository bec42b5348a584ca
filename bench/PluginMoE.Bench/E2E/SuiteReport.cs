// The summary of a suite run: medians over rounds per framework, one ratio line per case and reference, the markdown
// table the README pastes, and the targets of issue #12 marked met or not met from the run's own figures.
// BCL only: tests/PluginMoE.Bench.Tests compiles this file.
using System.Globalization;
using System.Text;

namespace PluginMoE.Bench.E2E;

/// <summary>Figures of the micro-benchmarks the targets need (null when those cases did not run or failed).</summary>
/// <param name="GemmRatios">Each float32 GEMM case: its shape, ours/torch.matmul ratio and our GFLOP/s.</param>
/// <param name="NexusTrainTimeRatio">moe_layer nexus-train time over linear (fwd+bwd, same experts).</param>
/// <param name="NexusFrozenTimeRatio">moe_layer nexus-frozen time over linear.</param>
/// <param name="PeakGflops">This machine's FP32 peak at the micro-benchmarks' thread count, or null.</param>
internal sealed record MicroFigures(IReadOnlyList<(string Shape, double Ratio, double Gflops)> GemmRatios, double? NexusTrainTimeRatio,
    double? NexusFrozenTimeRatio, double? PeakGflops)
{
    public static readonly MicroFigures None = new([], null, null, null);
}

internal static class SuiteReport
{
    public const string Ours = "ours", PyTorch = "pytorch", TorchSharp = "torchsharp";

    /// <summary>Per case and framework, the median over rounds of each figure (failed rounds left out; a case whose every
    /// round failed keeps the last error).</summary>
    public static List<E2eResult> Aggregate(IEnumerable<E2eResult> results)
    {
        var list = new List<E2eResult>();
        foreach (var g in results.GroupBy(r => (r.Case, r.Framework)))
        {
            var ok = g.Where(r => r.Error is null).ToList();
            if (ok.Count == 0)
            {
                list.Add(g.Last() with { Round = null });
                continue;
            }
            double? M(Func<E2eResult, double?> f)
            {
                var v = ok.Select(f).Where(x => x is not null).Select(x => x!.Value).ToList();
                return v.Count == 0 ? null : SuiteMath.Median(v);
            }
            list.Add(new E2eResult(g.Key.Framework, g.Key.Case.Model, g.Key.Case.Router, g.Key.Case.Threads)
            {
                TrainTokS = M(r => r.TrainTokS), PrefillTokS = M(r => r.PrefillTokS), DecodeTokS = M(r => r.DecodeTokS),
                TrainCpuMs = M(r => r.TrainCpuMs), PeakRssMb = M(r => r.PeakRssMb), AllocMbPerStep = M(r => r.AllocMbPerStep),
                GcsPerStep = M(r => r.GcsPerStep), InitMs = M(r => r.InitMs), FirstStepMs = M(r => r.FirstStepMs), First10Ms = M(r => r.First10Ms),
                First10CpuMs = M(r => r.First10CpuMs), WarmupSteps = M(r => r.WarmupSteps), Round = ok.Count, // here: how many rounds the medians are over
            });
        }
        return list;
    }

    private static E2eResult? Get(IReadOnlyList<E2eResult> agg, (string, string, int) c, string framework) =>
        agg.FirstOrDefault(r => r.Case == c && r.Framework == framework);

    private static double? Ratio(double? a, double? b) => a is double x && b is double y && y > 0 ? x / y : null;

    private static IEnumerable<(string Model, string Router, int Threads)> Cases(IReadOnlyList<E2eResult> agg) =>
        agg.Select(r => r.Case).Distinct();

    /// <summary>One JSON line per case and reference framework: both figures and ours/reference (peak RSS too: ours/theirs).</summary>
    public static IEnumerable<string> RatioLines(IReadOnlyList<E2eResult> agg)
    {
        foreach (var c in Cases(agg))
        {
            var ours = Get(agg, c, Ours);
            foreach (var refName in new[] { PyTorch, TorchSharp })
            {
                var other = Get(agg, c, refName);
                if (ours is null || other is null) continue;
                var s = new StringBuilder();
                s.Append(CultureInfo.InvariantCulture, $"{{\"e2e\":\"ratio\",\"model\":\"{c.Model}\",\"router\":\"{c.Router}\",\"threads\":{c.Threads},\"vs\":\"{refName}\"");
                if (ours.Error is not null || other.Error is not null)
                {
                    s.Append(",\"error\":").Append(E2eResult.Str(ours.Error ?? other.Error!)).Append('}');
                    yield return s.ToString();
                    continue;
                }
                foreach (var (name, a, b) in new[]
                {
                    ("train_tok_s", ours.TrainTokS, other.TrainTokS), ("prefill_tok_s", ours.PrefillTokS, other.PrefillTokS),
                    ("decode_tok_s", ours.DecodeTokS, other.DecodeTokS), ("peak_rss_mb", ours.PeakRssMb, other.PeakRssMb),
                })
                {
                    if (a is double x) s.Append(",\"").Append(name).Append("\":").Append(E2eResult.Num(x));
                    if (b is double y) s.Append(",\"").Append(name).Append('_').Append(refName).Append("\":").Append(E2eResult.Num(y));
                    if (Ratio(a, b) is double r) s.Append(",\"").Append(name.Replace("_tok_s", "", StringComparison.Ordinal)).Append("_ratio\":").Append(E2eResult.Num(r));
                }
                yield return s.Append('}').ToString();
            }
        }
    }

    private static string F(double? v) => v switch
    {
        null => "-",
        >= 100 => v.Value.ToString("F0", CultureInfo.InvariantCulture),
        >= 10 => v.Value.ToString("F1", CultureInfo.InvariantCulture),
        _ => v.Value.ToString("F2", CultureInfo.InvariantCulture),
    };

    private static string Rate(double? v) => v is double x && x >= 1000 ? (x / 1000).ToString("F2", CultureInfo.InvariantCulture) + "k" : F(v);

    /// <summary>
    /// The markdown table: one row per config x router x threads; tokens/s of ours / PyTorch / TorchSharp with the ratios
    /// ours/PyTorch and ours/TorchSharp for training, prefill and decode; peak RSS of the three; our allocation per step.
    /// A framework whose run failed shows "failed".
    /// </summary>
    public static string Table(IReadOnlyList<E2eResult> agg)
    {
        var s = new StringBuilder();
        s.AppendLine("| config | router | threads | train tok/s ours / PyTorch / TorchSharp | ours/PT | ours/TS | prefill tok/s ours / PT / TS | ours/PT | ours/TS | decode tok/s ours / PT / TS | ours/PT | ours/TS | peak RSS MB ours / PT / TS | alloc MB/step |");
        s.AppendLine("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
        var order = E2eConfig.All.Select(c => c.Name).ToList();
        foreach (var c in Cases(agg).OrderBy(c => order.IndexOf(c.Model)).ThenBy(c => RouterOrder(c.Router)).ThenBy(c => c.Threads))
        {
            var o = Get(agg, c, Ours);
            var p = Get(agg, c, PyTorch);
            var t = Get(agg, c, TorchSharp);
            string Three(Func<E2eResult, double?> f, Func<double?, string> fmt) =>
                string.Join(" / ", new[] { o, p, t }.Select(r => r is null ? "-" : r.Error is not null ? "failed" : fmt(f(r))));
            string R(Func<E2eResult, double?> f, E2eResult? other) =>
                o?.Error is null && other?.Error is null && o is not null && other is not null ? F(Ratio(f(o), f(other))) : "-";
            s.Append(CultureInfo.InvariantCulture, $"| {c.Model} | {c.Router} | {c.Threads} | ")
                .Append(Three(r => r.TrainTokS, Rate)).Append(" | ").Append(R(r => r.TrainTokS, p)).Append(" | ").Append(R(r => r.TrainTokS, t)).Append(" | ")
                .Append(Three(r => r.PrefillTokS, Rate)).Append(" | ").Append(R(r => r.PrefillTokS, p)).Append(" | ").Append(R(r => r.PrefillTokS, t)).Append(" | ")
                .Append(Three(r => r.DecodeTokS, Rate)).Append(" | ").Append(R(r => r.DecodeTokS, p)).Append(" | ").Append(R(r => r.DecodeTokS, t)).Append(" | ")
                .Append(Three(r => r.PeakRssMb, F)).Append(" | ").Append(o?.Error is null ? F(o?.AllocMbPerStep) : "failed").AppendLine(" |");
        }
        return s.ToString();
    }

    /// <summary>
    /// The cold-cost table: one row per config x router x threads; for ours / PyTorch / TorchSharp the milliseconds from
    /// process start to the built model, the first training step, the mean of the first 10 steps (wall, then CPU, which
    /// a busy machine inflates less), and the steady-state step (the median the train tok/s come from).
    /// </summary>
    public static string ColdTable(IReadOnlyList<E2eResult> agg)
    {
        var s = new StringBuilder();
        s.AppendLine("| config | router | threads | start-up ms ours / PT / TS | first step ms ours / PT / TS | first 10 steps, mean ms ours / PT / TS | first 10, CPU ms/step ours / PT / TS | steady step ms ours / PT / TS |");
        s.AppendLine("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |");
        var order = E2eConfig.All.Select(c => c.Name).ToList();
        foreach (var c in Cases(agg).OrderBy(c => order.IndexOf(c.Model)).ThenBy(c => RouterOrder(c.Router)).ThenBy(c => c.Threads))
        {
            int tokens = E2eConfig.Find(c.Model).Tokens;
            var rows = new[] { Get(agg, c, Ours), Get(agg, c, PyTorch), Get(agg, c, TorchSharp) };
            string Three(Func<E2eResult, double?> f) =>
                string.Join(" / ", rows.Select(r => r is null ? "-" : r.Error is not null ? "failed" : F(f(r))));
            s.Append(CultureInfo.InvariantCulture, $"| {c.Model} | {c.Router} | {c.Threads} | ")
                .Append(Three(r => r.InitMs)).Append(" | ").Append(Three(r => r.FirstStepMs)).Append(" | ").Append(Three(r => r.First10Ms)).Append(" | ")
                .Append(Three(r => r.First10CpuMs)).Append(" | ").Append(Three(r => r.TrainTokS is double v && v > 0 ? tokens / v * 1e3 : null)).AppendLine(" |");
        }
        return s.ToString();
    }

    /// <summary>
    /// The nexus end-to-end training step against linear's, per model and thread count: the step-time ratio to linear
    /// (nexus has the shared expert, linear not) and, where the run has <see cref="E2eConfig.LinearShared"/>, to linear
    /// with the same shared expert (the router's own share), and the shared expert's share (linear+shared over linear).
    /// </summary>
    public static List<(string Model, int Threads, double? VsLinear, double? VsLinearShared, double? SharedExpert)> NexusSteps(IReadOnlyList<E2eResult> agg)
    {
        var rows = new List<(string, int, double?, double?, double?)>();
        foreach (var c in Cases(agg).Where(c => c.Router == "nexus"))
        {
            double? Step(string router) => Get(agg, (c.Model, router, c.Threads), Ours) is { Error: null, TrainTokS: double v } && v > 0 ? 1 / v : null;
            double? nexus = Step("nexus"), linear = Step("linear"), shared = Step(E2eConfig.LinearShared);
            if (nexus is null) continue;
            rows.Add((c.Model, c.Threads, Ratio(nexus, linear), Ratio(nexus, shared), Ratio(shared, linear)));
        }
        return rows;
    }

    /// <summary>
    /// One JSON line per model and thread count with the nexus step-time ratios of <see cref="NexusSteps"/>
    /// (<c>"e2e":"nexus_step"</c>; a new kind of line, so readers of the ratio lines are unaffected).
    /// </summary>
    public static IEnumerable<string> NexusStepLines(IReadOnlyList<E2eResult> agg)
    {
        foreach (var (model, threads, vsLinear, vsShared, shared) in NexusSteps(agg))
        {
            var s = new StringBuilder();
            s.Append(CultureInfo.InvariantCulture, $"{{\"e2e\":\"nexus_step\",\"model\":\"{model}\",\"threads\":{threads}");
            if (vsLinear is double a) s.Append(",\"step_ratio_vs_linear\":").Append(E2eResult.Num(a));
            if (vsShared is double b) s.Append(",\"step_ratio_vs_linear_shared\":").Append(E2eResult.Num(b));
            if (shared is double c) s.Append(",\"linear_shared_vs_linear\":").Append(E2eResult.Num(c));
            yield return s.Append('}').ToString();
        }
    }

    /// <summary>Table order of the routers: <see cref="E2eConfig.Routers"/>, then <see cref="E2eConfig.LinearShared"/>.</summary>
    private static int RouterOrder(string router) =>
        Array.IndexOf(E2eConfig.Routers, router) is int i and >= 0 ? i : router == E2eConfig.LinearShared ? E2eConfig.Routers.Length : int.MaxValue;

    /// <summary>One evaluated target: what it asks, whether this run meets it (null: not measured), and the figures behind the verdict.</summary>
    public sealed record Target(string Name, bool? Met, string Evidence)
    {
        public string Markdown => $"- [{(Met switch { true => "met", false => "NOT met", null => "not measured" })}] {Name}: {Evidence}";
    }

    /// <summary>
    /// The targets of issue #12 over every case of the run (every config, router and thread count measured): a ratio
    /// target is met when its worst case meets it; the evidence names the worst case and how many cases meet it.
    /// </summary>
    public static List<Target> Targets(IReadOnlyList<E2eResult> agg, MicroFigures micro)
    {
        var targets = new List<Target>
        {
            RatioTarget(agg, "training tokens/s >= 1.5x PyTorch", PyTorch, r => r.TrainTokS, 1.5, higherIsBetter: true),
            RatioTarget(agg, "training tokens/s >= 1.2x TorchSharp", TorchSharp, r => r.TrainTokS, 1.2, higherIsBetter: true),
            RatioTarget(agg, "prefill tokens/s >= 2x PyTorch", PyTorch, r => r.PrefillTokS, 2.0, higherIsBetter: true),
            RatioTarget(agg, "KV-cache decode tokens/s >= 2x PyTorch", PyTorch, r => r.DecodeTokS, 2.0, higherIsBetter: true),
            RatioTarget(agg, "peak RSS <= PyTorch's", PyTorch, r => r.PeakRssMb, 1.0, higherIsBetter: false),
        };

        // Nexus against linear: the MoE layer alone (same experts; the router is the only difference) decides; the
        // end-to-end step, whose nexus model also has the shared expert the recipe gives it, is shown beside it.
        var e2e = new List<string>();
        foreach (var c in Cases(agg).Where(c => c.Router == "nexus"))
        {
            var n = Get(agg, c, Ours);
            var l = Get(agg, (c.Model, "linear", c.Threads), Ours);
            if (Ratio(l?.TrainTokS, n?.TrainTokS) is double r) e2e.Add($"{c.Model} {c.Threads}t {F(r)}");
        }
        string e2eText = e2e.Count > 0 ? $"; end-to-end step with the shared expert: {string.Join(", ", e2e)}" : "";
        var like = NexusSteps(agg).Where(n => n.VsLinearShared is not null).Select(n => $"{n.Model} {n.Threads}t {F(n.VsLinearShared)}").ToList();
        if (like.Count > 0) e2eText += $"; like for like (linear with the same shared expert): {string.Join(", ", like)}";
        targets.Add(micro.NexusTrainTimeRatio is double nt
            ? new Target("Nexus training step <= 1.03x the linear router's", nt <= 1.03, $"MoE layer fwd+bwd time nexus/linear {F(nt)}{e2eText}")
            : new Target("Nexus training step <= 1.03x the linear router's", null, $"moe_layer micro-benchmark not run{e2eText}"));
        targets.Add(micro.NexusFrozenTimeRatio is double nf
            ? new Target("frozen Nexus equal to linear within noise (+-10%)", Math.Abs(nf - 1) <= 0.10, $"MoE layer time frozen nexus/linear {F(nf)}")
            : new Target("frozen Nexus equal to linear within noise (+-10%)", null, "moe_layer micro-benchmark not run"));
        if (micro.GemmRatios.Count > 0)
        {
            var worst = micro.GemmRatios.MinBy(g => g.Ratio);
            int met = micro.GemmRatios.Count(g => g.Ratio >= 1.0);
            var best = micro.GemmRatios.MaxBy(g => g.Gflops);
            string peak = micro.PeakGflops is double pk ? $"; best {F(best.Gflops)} GFLOP/s = {F(100 * best.Gflops / pk)}% of the FP32 peak {F(pk)} GFLOP/s" : "";
            targets.Add(new Target("GEMM >= 1.0x torch.matmul", worst.Ratio >= 1.0,
                $"{met}/{micro.GemmRatios.Count} shapes; worst {worst.Shape} {F(worst.Ratio)}{peak}"));
        }
        else targets.Add(new Target("GEMM >= 1.0x torch.matmul", null, "gemm micro-benchmarks not run"));
        return targets;
    }

    private static Target RatioTarget(IReadOnlyList<E2eResult> agg, string name, string refName, Func<E2eResult, double?> figure, double bound, bool higherIsBetter)
    {
        var rows = new List<(string Case, double Ratio)>();
        int failed = 0;
        foreach (var c in Cases(agg))
        {
            var o = Get(agg, c, Ours);
            var other = Get(agg, c, refName);
            if (o is null || other is null) continue;
            if (o.Error is not null || other.Error is not null) { failed++; continue; }
            if (Ratio(figure(o), figure(other)) is double r) rows.Add(($"{c.Model} {c.Router} {c.Threads}t", r));
        }
        string failText = failed > 0 ? $"; {failed} case(s) failed" : "";
        if (rows.Count == 0) return new Target(name, null, $"no case measured{failText}");
        bool Ok(double r) => higherIsBetter ? r >= bound : r <= bound;
        var worst = higherIsBetter ? rows.MinBy(r => r.Ratio) : rows.MaxBy(r => r.Ratio);
        return new Target(name, rows.All(r => Ok(r.Ratio)) && failed == 0,
            $"{rows.Count(r => Ok(r.Ratio))}/{rows.Count} cases; worst {worst.Case} {F(worst.Ratio)} (ours/{refName}){failText}");
    }
}
