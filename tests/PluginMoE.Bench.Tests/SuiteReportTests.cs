// The benchmark suite's pure logic: medians, interleaving order, the warm-up rule, result lines, aggregation over rounds,
// the summary and cold-cost tables and the targets of issue #12 (bench/PluginMoE.Bench/E2E; no timing is asserted anywhere).
using PluginMoE.Bench.E2E;

namespace PluginMoE.Bench.Tests;

public class SuiteReportTests
{
    private static E2eResult R(string fw, string model, string router, int threads, double train, double prefill, double decode, double rss, int round = 0) =>
        new(fw, model, router, threads) { TrainTokS = train, PrefillTokS = prefill, DecodeTokS = decode, PeakRssMb = rss, Round = round };

    [Fact]
    public void Median_of_odd_and_even_counts_and_empty()
    {
        Assert.Equal(3, SuiteMath.Median([5, 1, 3]));
        Assert.Equal(2.5, SuiteMath.Median([4, 1, 3, 2]));
        Assert.True(double.IsNaN(SuiteMath.Median([])));
    }

    [Fact]
    public void Order_rotates_the_frameworks_per_case_and_round()
    {
        string[] fws = ["ours", "pytorch", "torchsharp"];
        Assert.Equal(fws, SuiteMath.Order(fws, 0, 0));
        Assert.Equal(["pytorch", "torchsharp", "ours"], SuiteMath.Order(fws, 0, 1));
        Assert.Equal(["torchsharp", "ours", "pytorch"], SuiteMath.Order(fws, 1, 1));
        // Over as many cases as frameworks, each framework runs first exactly once.
        Assert.Equal(fws.Order(), Enumerable.Range(0, 3).Select(c => SuiteMath.Order(fws, 0, c)[0]).Order());
    }

    [Fact]
    public void Peak_is_cores_times_clock_times_flops_per_cycle()
    {
        Assert.Equal(2 * 3.0 * 64, SuiteMath.PeakGflops(2, 3.0, avx512: true));
        Assert.Equal(32 * 2.5, SuiteMath.PeakGflops(1, 2.5, avx512: false));
    }

    [Fact]
    public void Result_line_round_trips_and_ignores_other_lines()
    {
        var r = R("ours", "tiny", "nexus", 2, 1234.5, 5000, 80, 300.25, round: 1) with
        {
            AllocMbPerStep = 9.5, TrainCpuMs = 700, InitMs = 1500, FirstStepMs = 420, First10Ms = 150, First10CpuMs = 280, WarmupSteps = 31,
        };
        var back = E2eResult.TryParse(r.ToJson());
        Assert.Equal(r, back);
        Assert.Contains("\"init_ms\":1500,\"first_step_ms\":420,\"first10_ms\":150,\"first10_cpu_ms\":280,\"warmup_steps\":31", r.ToJson(), StringComparison.Ordinal);
        // The line tools/bench/torch_reference.py --e2e prints (cold fields in its own order) reads back the same.
        var py = E2eResult.TryParse("{\"e2e\":\"result\",\"framework\":\"pytorch\",\"model\":\"tiny\",\"router\":\"linear\",\"threads\":1," +
            "\"train_tok_s\":7000,\"prefill_tok_s\":30000,\"decode_tok_s\":600,\"train_cpu_ms\":140,\"peak_rss_mb\":360,\"first_step_ms\":300," +
            "\"warmup_steps\":30,\"init_ms\":900,\"first10_ms\":160,\"first10_cpu_ms\":170}");
        Assert.Equal(new E2eResult("pytorch", "tiny", "linear", 1)
        {
            TrainTokS = 7000, PrefillTokS = 30000, DecodeTokS = 600, TrainCpuMs = 140, PeakRssMb = 360, FirstStepMs = 300, WarmupSteps = 30,
            InitMs = 900, First10Ms = 160, First10CpuMs = 170,
        }, py);
        var failed = new E2eResult("pytorch", "small", "linear", 1) { Error = "exit code 1: No module named \"torch\"" };
        Assert.Equal(failed, E2eResult.TryParse(failed.ToJson()));
        Assert.Null(E2eResult.TryParse("{\"op\":\"gemm\",\"ratio\":1.1}"));
        Assert.Null(E2eResult.TryParse("# a comment"));
        Assert.Null(E2eResult.TryParse("{not json"));
    }

    [Fact]
    public void Aggregate_takes_medians_over_rounds_and_skips_failed_rounds()
    {
        var rows = new[]
        {
            R("ours", "tiny", "linear", 2, 100, 1000, 10, 200, 0),
            R("ours", "tiny", "linear", 2, 300, 3000, 30, 220, 1),
            R("ours", "tiny", "linear", 2, 200, 2000, 20, 210, 2),
            new E2eResult("ours", "tiny", "linear", 2) { Error = "timed out", Round = 3 },
            new E2eResult("pytorch", "tiny", "linear", 2) { Error = "exit code 1: boom", Round = 0 },
        };
        var agg = SuiteReport.Aggregate(rows);
        var ours = agg.Single(r => r.Framework == "ours");
        Assert.Equal(200, ours.TrainTokS);
        Assert.Equal(2000, ours.PrefillTokS);
        Assert.Equal(210, ours.PeakRssMb);
        Assert.Equal(3, ours.Round); // rounds behind the medians
        Assert.Null(ours.FirstStepMs); // no round reported a cold figure
        Assert.Equal("exit code 1: boom", agg.Single(r => r.Framework == "pytorch").Error);
    }

    [Fact]
    public void Ratio_lines_and_table_show_both_figures_ratios_and_failures()
    {
        var agg = SuiteReport.Aggregate(
        [
            R("ours", "tiny", "linear", 2, 3000, 8000, 100, 250) with { AllocMbPerStep = 8.5 },
            R("pytorch", "tiny", "linear", 2, 2000, 4000, 40, 500),
            new E2eResult("torchsharp", "tiny", "linear", 2) { Error = "timed out after 600 s: " },
        ]);
        var lines = SuiteReport.RatioLines(agg).ToList();
        Assert.Equal(2, lines.Count);
        Assert.Contains("\"vs\":\"pytorch\"", lines[0], StringComparison.Ordinal);
        Assert.Contains("\"train_tok_s\":3000,\"train_tok_s_pytorch\":2000,\"train_ratio\":1.5", lines[0], StringComparison.Ordinal);
        Assert.Contains("\"peak_rss_mb\":250,\"peak_rss_mb_pytorch\":500,\"peak_rss_mb_ratio\":0.5", lines[0], StringComparison.Ordinal);
        Assert.Contains("\"vs\":\"torchsharp\",\"error\":\"timed out after 600 s: \"", lines[1], StringComparison.Ordinal);

        var table = SuiteReport.Table(agg).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(3, table.Length); // header, rule, one row
        Assert.Equal("| tiny | linear | 2 | 3.00k / 2.00k / failed | 1.50 | - | 8.00k / 4.00k / failed | 2.00 | - | 100 / 40.0 / failed | 2.50 | - | 250 / 500 / failed | 8.50 |", table[2]);
    }

    [Fact]
    public void Targets_are_judged_on_the_worst_case()
    {
        var agg = SuiteReport.Aggregate(
        [
            R("ours", "tiny", "linear", 2, 3000, 9000, 100, 250),
            R("pytorch", "tiny", "linear", 2, 2000, 4000, 40, 500),
            R("torchsharp", "tiny", "linear", 2, 2000, 4000, 40, 500),
            R("ours", "tiny", "nexus", 2, 2000, 9000, 100, 600),
            R("pytorch", "tiny", "nexus", 2, 2000, 4000, 40, 500),
            R("torchsharp", "tiny", "nexus", 2, 1000, 4000, 40, 500),
        ]);
        var micro = new MicroFigures([("[1024,256,1024]", 1.1, 300), ("[1000,333,777]", 0.9, 250)], 1.02, 1.2, 400);
        var t = SuiteReport.Targets(agg, micro).ToDictionary(x => x.Name);
        Assert.False(t["training tokens/s >= 1.5x PyTorch"].Met);
        Assert.Equal("1/2 cases; worst tiny nexus 2t 1.00 (ours/pytorch)", t["training tokens/s >= 1.5x PyTorch"].Evidence);
        Assert.True(t["training tokens/s >= 1.2x TorchSharp"].Met);
        Assert.True(t["prefill tokens/s >= 2x PyTorch"].Met);
        Assert.True(t["KV-cache decode tokens/s >= 2x PyTorch"].Met);
        Assert.False(t["peak RSS <= PyTorch's"].Met);
        Assert.Equal("1/2 cases; worst tiny nexus 2t 1.20 (ours/pytorch)", t["peak RSS <= PyTorch's"].Evidence);
        Assert.True(t["Nexus training step <= 1.03x the linear router's"].Met);
        Assert.Contains("end-to-end step with the shared expert: tiny 2t 1.50", t["Nexus training step <= 1.03x the linear router's"].Evidence, StringComparison.Ordinal);
        Assert.False(t["frozen Nexus equal to linear within noise (+-10%)"].Met);
        var gemm = t["GEMM >= 1.0x torch.matmul"];
        Assert.False(gemm.Met);
        Assert.Equal("1/2 shapes; worst [1000,333,777] 0.90; best 300 GFLOP/s = 75.0% of the FP32 peak 400 GFLOP/s", gemm.Evidence);
        Assert.StartsWith("- [NOT met] GEMM", gemm.Markdown, StringComparison.Ordinal);
    }

    [Fact]
    public void Gemm_verdict_takes_each_shapes_median_over_rounds_and_reports_the_cpu_time_ratio()
    {
        // Three rounds; round 2 ran every shape of ours at half speed (a slow process): the medians ignore it. A shape
        // missing from a round is judged on the rounds that measured it.
        IReadOnlyList<(string, double, double?, double)>[] rounds =
        [
            [("[1024,256,1024] nn", 1.10, 1.20, 300), ("[512,1024,256] nt", 1.02, 1.05, 250)],
            [("[1024,256,1024] nn", 0.55, 0.60, 150), ("[512,1024,256] nt", 0.51, 0.52, 125)],
            [("[1024,256,1024] nn", 1.05, 1.10, 290)],
        ];
        var (ratios, cpu) = MicroFigures.GemmMedians(rounds);
        Assert.Equal([("[1024,256,1024] nn", 1.05, 290.0), ("[512,1024,256] nt", (1.02 + 0.51) / 2, (250 + 125) / 2.0)], ratios);
        Assert.Equal([("[1024,256,1024] nn", 1.10), ("[512,1024,256] nt", (1.05 + 0.52) / 2)], cpu);
        var micro = MicroFigures.None with { GemmRatios = ratios, GemmCpuRatios = cpu, GemmRounds = 3 };
        var gemm = SuiteReport.Targets(SuiteReport.Aggregate([]), micro).Single(t => t.Name == "GEMM >= 1.0x torch.matmul");
        Assert.False(gemm.Met);
        Assert.Equal("1/2 shapes (medians of 3 interleaved rounds); worst [512,1024,256] nt 0.77; by CPU time (torch / ours) 1/2, worst [512,1024,256] nt 0.79",
            gemm.Evidence);
    }

    [Fact]
    public void Targets_without_figures_are_not_measured_and_a_failed_reference_is_not_met()
    {
        var agg = SuiteReport.Aggregate(
        [
            R("ours", "small", "linear", 1, 3000, 9000, 100, 250),
            new E2eResult("pytorch", "small", "linear", 1) { Error = "exit code 1" },
        ]);
        var t = SuiteReport.Targets(agg, MicroFigures.None).ToDictionary(x => x.Name);
        Assert.Null(t["training tokens/s >= 1.5x PyTorch"].Met);
        Assert.Equal("no case measured; 1 case(s) failed", t["training tokens/s >= 1.5x PyTorch"].Evidence);
        Assert.Null(t["training tokens/s >= 1.2x TorchSharp"].Met);
        Assert.Null(t["GEMM >= 1.0x torch.matmul"].Met);
        Assert.StartsWith("- [not measured]", t["GEMM >= 1.0x torch.matmul"].Markdown, StringComparison.Ordinal);
    }

    [Fact]
    public void Cold_table_shows_start_up_first_steps_and_the_steady_step()
    {
        var agg = SuiteReport.Aggregate(
        [
            R("ours", "tiny", "linear", 2, 10240, 8000, 100, 250) with { InitMs = 1200, FirstStepMs = 800, First10Ms = 300, First10CpuMs = 500 },
            R("ours", "tiny", "linear", 2, 10240, 8000, 100, 250, round: 1) with { InitMs = 1400, FirstStepMs = 600, First10Ms = 200, First10CpuMs = 300 },
            R("pytorch", "tiny", "linear", 2, 5120, 4000, 40, 500) with { InitMs = 900, FirstStepMs = 250, First10Ms = 210, First10CpuMs = 400 },
            new E2eResult("torchsharp", "tiny", "linear", 2) { Error = "timed out after 600 s: " },
        ]);
        var ours = agg.Single(r => r.Framework == "ours");
        Assert.Equal(700, ours.FirstStepMs); // medians over rounds, as every figure
        Assert.Equal(1300, ours.InitMs);
        var table = SuiteReport.ColdTable(agg).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(3, table.Length);
        Assert.StartsWith("| config | router | threads | start-up ms ours / PT / TS | first step ms", table[0], StringComparison.Ordinal);
        // tiny: 1024 tokens a step, so 10,240 tok/s is a 100 ms steady step and 5,120 tok/s a 200 ms one.
        Assert.Equal("| tiny | linear | 2 | 1300 / 900 / failed | 700 / 250 / failed | 250 / 210 / failed | 400 / 400 / failed | 100 / 200 / failed |", table[2]);
    }

    [Fact]
    public void Phase_rule_warms_up_to_calls_and_seconds_or_to_the_cpu_cap()
    {
        var rule = PhaseRule.Full;
        Assert.False(rule.WarmedUp(29, 5, 9)); // 30 calls are needed (the JIT's call-count threshold) ...
        Assert.False(rule.WarmedUp(40, 1.5, 3)); // ... and 2 s
        Assert.True(rule.WarmedUp(30, 2, 4));
        Assert.False(rule.WarmedUp(4, 30, 30)); // long calls: at least 5 of them ...
        Assert.False(rule.WarmedUp(6, 30, 9)); // ... and 10 s of CPU time: a busy machine's wall time does not count
        Assert.True(rule.WarmedUp(5, 6, 10));
        Assert.False(rule.TimedEnough(4, 10, 10));
        Assert.False(rule.TimedEnough(20, 1.9, 4));
        Assert.True(rule.TimedEnough(5, 2, 0));
        Assert.True(PhaseRule.Quick.WarmedUp(2, 0, 0));
        Assert.True(PhaseRule.Quick.TimedEnough(2, 0, 0));
        Assert.Equal(7, rule.WithTimedCalls(7).TimedCalls);
    }

    [Fact]
    public void Phase_rule_round_trips_through_the_worker_options()
    {
        var rule = new PhaseRule(12, 1.5, 7.25, 3, 4, 0.5);
        var args = rule.Args().ToList();
        Assert.Equal(["--warmup", "12", "--warmup-s", "1.5", "--cap-s", "7.25", "--cap-calls", "3", "--steps", "4", "--timed-s", "0.5"], args);
        var back = PhaseRule.Quick;
        for (int i = 0; i < args.Count; i += 2) Assert.True(back.TryApply(args[i], args[i + 1], out back));
        Assert.Equal(rule, back);
        Assert.False(rule.TryApply("--model", "tiny", out var same));
        Assert.Equal(rule, same);
        Assert.Equal("warm-up >= 30 calls and >= 2 s (or >= 10 CPU s and >= 5 calls), then >= 5 timed calls and >= 2 s, per phase", PhaseRule.Full.Describe());
    }

    [Fact]
    public void Nexus_step_is_shown_against_linear_and_like_for_like_against_linear_with_the_shared_expert()
    {
        var agg = SuiteReport.Aggregate(
        [
            R("ours", "small", "linear", 1, 1600, 9000, 100, 250),
            R("ours", "small", "nexus", 1, 1000, 9000, 100, 250),
            R("ours", "small", E2eConfig.LinearShared, 1, 1100, 9000, 100, 250),
            R("pytorch", "small", "nexus", 1, 1500, 4000, 40, 500),
            R("ours", "tiny", "linear", 2, 4000, 9000, 100, 250),
            R("ours", "tiny", "nexus", 2, 2000, 9000, 100, 250),
        ]);
        var lines = SuiteReport.NexusStepLines(agg).ToList();
        Assert.Equal(
        [
            "{\"e2e\":\"nexus_step\",\"model\":\"small\",\"threads\":1,\"step_ratio_vs_linear\":1.6,\"step_ratio_vs_linear_shared\":1.1,\"linear_shared_vs_linear\":1.45455}",
            "{\"e2e\":\"nexus_step\",\"model\":\"tiny\",\"threads\":2,\"step_ratio_vs_linear\":2}",
        ], lines);
        var evidence = SuiteReport.Targets(agg, MicroFigures.None).Single(t => t.Name.StartsWith("Nexus training step", StringComparison.Ordinal)).Evidence;
        Assert.Equal("moe_layer micro-benchmark not run; end-to-end step with the shared expert: small 1t 1.60, tiny 2t 2.00; " +
            "like for like (linear with the same shared expert): small 1t 1.10", evidence);
        // The PluginMoE-only case has no reference ratio line and sorts after nexus in the table.
        Assert.DoesNotContain(SuiteReport.RatioLines(agg), l => l.Contains(E2eConfig.LinearShared, StringComparison.Ordinal));
        var rows = SuiteReport.Table(agg).Split('\n', StringSplitOptions.RemoveEmptyEntries).Skip(2).Select(r => r.Split(" | ")[1]).ToList();
        Assert.Equal(["linear", "nexus", "linear", "nexus", E2eConfig.LinearShared], rows); // tiny, then small
    }
}
