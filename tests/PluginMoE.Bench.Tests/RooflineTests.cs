// The suite's roofline logic (bench/PluginMoE.Bench/E2E: FlopModel, RatioStat, Roofline, the target verdicts): model FLOPs
// per token against hand counts, medians and spreads over rounds, GFLOP/s and % of peak, thread scaling, and which missed
// targets are above the machine's bound. No timing is asserted.
using PluginMoE.Bench.E2E;

namespace PluginMoE.Bench.Tests;

public class RooflineTests
{
    private static E2eResult R(string fw, string model, string router, int threads, double train, double prefill, double decode, double rss = 100, int round = 0) =>
        new(fw, model, router, threads) { TrainTokS = train, PrefillTokS = prefill, DecodeTokS = decode, PeakRssMb = rss, Round = round };

    [Fact]
    public void Tiny_linear_flops_match_a_hand_count()
    {
        // tiny: d = 128, 2 layers, 4 experts, top-2, SwiGLU inner 512, T = 128, vocabulary 256. Per layer: q, k, v, o
        // 4 x 128^2 = 65,536 MACs; router 128 x 4 = 512; two experts 2 x 3 x 128 x 512 = 393,216; so 459,264, twice, plus
        // the head 128 x 256 = 32,768: 951,296 active MACs per token. Attention: 2 x 128 MACs per key and layer over
        // (128 + 1) / 2 = 64.5 keys: 2 x 2 x 128 x 64.5 = 33,024.
        var f = FlopModel.For(E2eConfig.Find("tiny"), "linear");
        Assert.Equal(951_296, f.ActiveMacs);
        Assert.Equal(33_024, f.AttentionMacs);
        Assert.Equal(0, f.TrainExtraMacs);
        Assert.Equal(6 * 984_320, f.TrainFlopsPerToken); // 5.91 MFLOP
        Assert.Equal(2 * 984_320, f.PrefillFlopsPerToken);
        // Decoded positions 32..63 attend to 33..64 keys: mean 48.5; 2 layers x 2 x 128 x 48.5 = 24,832.
        Assert.Equal(2 * (951_296 + 24_832), f.DecodeFlopsPerToken);
        // float32 weights of one decode step: the active MACs' weights plus the embedding row (128).
        Assert.Equal(4 * (951_296 + 128), f.DecodeWeightBytes);
        Assert.Equal(4 * 2 * 2 * 128 * 48.5, f.DecodeKvBytes);
    }

    [Fact]
    public void Nexus_adds_the_shared_expert_and_its_per_step_router_and_multi_head_keeps_the_expert_flops()
    {
        var tiny = E2eConfig.Find("tiny");
        var linear = FlopModel.For(tiny, "linear");
        var nexus = FlopModel.For(tiny, "nexus");
        // Shared expert 3 x 128 x 512 = 196,608 per layer; E = W2 SwiGLU(W1 d_i): 4 x (256 x 256 + 128 x 128) MACs per
        // layer and step, over 1,024 tokens: 2 x 327,680 / 1,024 = 640 per token.
        Assert.Equal(linear.ActiveMacs + 2 * 196_608, nexus.ActiveMacs);
        Assert.Equal(640, nexus.TrainExtraMacs);
        Assert.Equal(FlopModel.For(tiny, E2eConfig.LinearShared).ActiveMacs, nexus.ActiveMacs);
        Assert.Equal(0, FlopModel.For(tiny, E2eConfig.LinearShared).TrainExtraMacs);
        // Multi-head, h = 4 sub-tokens of width 32: experts 4 x 2 x 3 x 32 x 512 = 393,216 (as linear's); router: head and
        // merge 2 x 128^2 = 32,768 plus 4 x (32 x 16 + 16 x 4) = 2,304.
        var mh = FlopModel.For(tiny, "multi-head");
        Assert.Equal(2 * (65_536 + 32_768 + 2_304 + 393_216) + 32_768, mh.ActiveMacs);
        // Its decode step reads min(4 experts, 4 x 2 slots) = all 4 experts of 3 x 32 x 512 weights per layer.
        Assert.Equal(4 * (2 * (65_536 + 32_768 + 2_304 + 4 * 3 * 32 * 512) + 32_768 + 128), mh.DecodeWeightBytes);
        var ex = Assert.Throws<ArgumentException>(() => FlopModel.For(tiny, "hash"));
        Assert.Equal("unknown router 'hash'; routers: linear, nexus, multi-head, linear+shared", ex.Message);
    }

    [Fact]
    public void Small_is_46_mflop_per_training_token_and_nexus_40_percent_more()
    {
        var small = E2eConfig.Find("small");
        var linear = FlopModel.For(small, "linear");
        // 4 x (4 x 256^2 + 256 x 8 + 2 x 3 x 256 x 1024) + 256 x 256 = 7,413,760 MACs; attention 4 x 2 x 256 x 128.5.
        Assert.Equal(7_413_760, linear.ActiveMacs);
        Assert.Equal(6 * (7_413_760 + 263_168), linear.TrainFlopsPerToken);
        // 2.10k tok/s of training is 96.7 GFLOP/s: 72% of one core at 2.1 GHz x 64 FLOP/cycle.
        Assert.Equal(96.7, Roofline.Gflops(2100, linear.TrainFlopsPerToken)!.Value, 1);
        Assert.Equal(1.41, FlopModel.For(small, "nexus").TrainFlopsPerToken / linear.TrainFlopsPerToken, 2);
    }

    [Fact]
    public void Ratio_is_the_median_of_paired_rounds_with_its_spread()
    {
        var agg = SuiteReport.Aggregate(
        [
            R("ours", "tiny", "linear", 2, 300, 1, 1, round: 0), R("pytorch", "tiny", "linear", 2, 200, 1, 1, round: 0), // 1.5
            R("ours", "tiny", "linear", 2, 330, 1, 1, round: 1), R("pytorch", "tiny", "linear", 2, 300, 1, 1, round: 1), // 1.1
            R("ours", "tiny", "linear", 2, 240, 1, 1, round: 2), R("pytorch", "tiny", "linear", 2, 200, 1, 1, round: 2), // 1.2
            new E2eResult("ours", "tiny", "linear", 2) { Error = "timed out", Round = 3 },
            R("pytorch", "tiny", "linear", 2, 100, 1, 1, round: 3), // no partner: not a pair
        ]);
        var o = agg.Single(r => r.Framework == "ours");
        var p = agg.Single(r => r.Framework == "pytorch");
        var st = RatioStat.Of(o, p, r => r.TrainTokS)!;
        Assert.Equal(new RatioStat(1.2, 1.1, 1.5, 3), st with { Median = Math.Round(st.Median, 10), Min = Math.Round(st.Min, 10), Max = Math.Round(st.Max, 10) });
        Assert.Equal("1.20 (1.10-1.50)", st.ToString());
        Assert.Equal(300 / 200.0, o.TrainTokS / p.TrainTokS); // the medians themselves: 300 and 200 (of 4 rounds)
        // One round: the plain ratio, spread "-".
        var one = RatioStat.Of(R("ours", "tiny", "linear", 1, 300, 1, 1), R("pytorch", "tiny", "linear", 1, 200, 1, 1), r => r.TrainTokS)!;
        Assert.Equal("1.50", one.ToString());
        Assert.Equal("-", one.Spread);
        Assert.Null(RatioStat.Of(R("ours", "tiny", "linear", 1, 300, 1, 1), new E2eResult("pytorch", "tiny", "linear", 1), r => r.TrainTokS));

        var line = SuiteReport.RatioLines(agg).Single();
        Assert.Contains("\"train_ratio\":1.2,\"train_ratio_min\":1.1,\"train_ratio_max\":1.5,\"train_ratio_rounds\":3", line, StringComparison.Ordinal);
        var row = SuiteReport.Table(agg).Split('\n', StringSplitOptions.RemoveEmptyEntries)[2];
        Assert.StartsWith("| tiny | linear | 2 | 300 / 200 / - | 1.20 (1.10-1.50) | - |", row, StringComparison.Ordinal);
    }

    [Fact]
    public void A_target_is_met_only_when_the_median_meets_it()
    {
        // Rounds 1.6, 1.4, 1.45: the best round meets 1.5x, the median does not.
        var agg = SuiteReport.Aggregate(
        [
            R("ours", "tiny", "linear", 2, 1600, 1, 1, round: 0), R("pytorch", "tiny", "linear", 2, 1000, 1, 1, round: 0),
            R("ours", "tiny", "linear", 2, 1400, 1, 1, round: 1), R("pytorch", "tiny", "linear", 2, 1000, 1, 1, round: 1),
            R("ours", "tiny", "linear", 2, 1450, 1, 1, round: 2), R("pytorch", "tiny", "linear", 2, 1000, 1, 1, round: 2),
        ]);
        var t = SuiteReport.Targets(agg, MicroFigures.None).Single(x => x.Name == "training tokens/s >= 1.5x PyTorch");
        Assert.False(t.Met);
        Assert.Equal("0/1 cases; worst tiny linear 2t 1.45 (rounds 1.40-1.60) (ours/pytorch); missed on the median only (a round met it): tiny linear 2t 1.45 (1.40-1.60)", t.Evidence);
        Assert.Equal("NOT met", t.Verdict); // no peak given: reachability unknown
    }

    [Fact]
    public void Missed_targets_are_classified_reachable_or_above_the_machines_bound()
    {
        // small linear, 1 thread, one core's peak 134.4 GFLOP/s (2.1 GHz x 64). Training 46.06 MFLOP/token: 1.5 x 1,500 =
        // 2,250 tok/s needs 103.6 GFLOP/s (reachable). Prefill 15.35 MFLOP/token: 2 x 5,000 = 10,000 tok/s needs 153.5
        // GFLOP/s, 1.14x the peak (above the bound). At 2 threads the peak doubles: the same prefill needs 0.57x of it.
        const double core = 2.1 * 64;
        var agg = SuiteReport.Aggregate(
        [
            R("ours", "small", "linear", 1, 2000, 8000, 100), R("pytorch", "small", "linear", 1, 1500, 5000, 40),
            R("ours", "small", "linear", 2, 3000, 9000, 100), R("pytorch", "small", "linear", 2, 2500, 5000, 40),
        ]);
        var t = SuiteReport.Targets(agg, MicroFigures.None, core).ToDictionary(x => x.Name);
        var train = t["training tokens/s >= 1.5x PyTorch"];
        Assert.Equal((false, 2, 0), (train.Met, train.Failing, train.AboveBound));
        Assert.Equal("NOT met, reachable", train.Verdict);
        var prefill = t["prefill tokens/s >= 2x PyTorch"];
        Assert.Equal((false, 2, 1), (prefill.Met, prefill.Failing, prefill.AboveBound));
        Assert.Equal("NOT met: 1 case(s) reachable, 1 above the machine's bound", prefill.Verdict);
        Assert.EndsWith("; above the machine's bound: small linear 1t needs 154 GFLOP/s = 1.14x the 134 GFLOP/s peak of 1 core(s)", prefill.Evidence, StringComparison.Ordinal);
        Assert.StartsWith("- [NOT met: 1 case(s) reachable, 1 above the machine's bound] prefill", prefill.Markdown, StringComparison.Ordinal);
        Assert.Equal("met", t["KV-cache decode tokens/s >= 2x PyTorch"].Verdict);
        // Only the 1-thread case: every missing case above the bound.
        var one = SuiteReport.Targets(agg.Where(r => r.Threads == 1).ToList(), MicroFigures.None, core).Single(x => x.Name.StartsWith("prefill", StringComparison.Ordinal));
        Assert.Equal("NOT met, above the machine's bound", one.Verdict);
        // Peak RSS has no FLOP bound.
        Assert.False(SuiteReport.Targets([R("ours", "small", "linear", 1, 1, 1, 1, rss: 200), R("pytorch", "small", "linear", 1, 1, 1, 1, rss: 100)],
            MicroFigures.None, core).Single(x => x.Name.StartsWith("peak RSS", StringComparison.Ordinal)).BoundKnown);
    }

    [Fact]
    public void Roofline_lines_table_and_thread_scaling()
    {
        const double core = 100;
        var agg = SuiteReport.Aggregate(
        [
            R("ours", "small", "linear", 1, 2000, 6000, 100), R("pytorch", "small", "linear", 1, 1500, 5000, 40),
            R("ours", "small", "linear", 2, 3000, 9000, 150), R("pytorch", "small", "linear", 2, 2900, 9500, 60),
            new E2eResult("torchsharp", "small", "linear", 2) { Error = "timed out" },
        ]);
        var f = FlopModel.For(E2eConfig.Find("small"), "linear");
        var lines = Roofline.Lines(agg, core).ToList();
        Assert.Equal(4, lines.Count); // the failed run has no line
        Assert.StartsWith("{\"e2e\":\"roofline\",\"framework\":\"ours\",\"model\":\"small\",\"router\":\"linear\",\"threads\":1,\"train_mflop_per_token\":46.0616", lines[0], StringComparison.Ordinal);
        Assert.Contains($"\"peak_gflops\":100,\"train_gflops\":{E2eResult.Num(2000 * f.TrainFlopsPerToken / 1e9)},\"train_pct_peak\":{E2eResult.Num(2000 * f.TrainFlopsPerToken / 1e9)}", lines[0], StringComparison.Ordinal);
        Assert.Contains("\"threads\":2,", lines[2], StringComparison.Ordinal);
        Assert.Contains("\"peak_gflops\":200,", lines[2], StringComparison.Ordinal);

        var table = Roofline.Table(agg, core).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(4, table.Length);
        // 2,000 x 46.06 MFLOP = 92.1 GFLOP/s = 92.1% of 100; prefill 6,000 x 15.35 = 92.1 GFLOP/s.
        Assert.Equal("| small | linear | 1 | 46.1 / 15.4 / 15.0 | 100 | 92.1 / 69.1 / - | 92.1 / 69.1 / - | 92.1 / 76.8 / - | 92.1 / 76.8 / - | 29.7 | 2.97 / 1.19 / - |", table[2]);
        Assert.EndsWith("| 200 | 138 / 134 / failed | 69.1 / 66.8 / failed | 138 / 146 / failed | 69.1 / 72.9 / failed | 29.7 | 4.45 / 1.78 / failed |", table[3], StringComparison.Ordinal);

        var scaling = Roofline.Scaling(agg);
        Assert.Equal(2, scaling.Count); // TorchSharp has one thread count's figures (its 2-thread run failed)
        Assert.Equal(("small", "linear", 1, 2, "ours", 1.5, 1.5, 1.5), scaling[0]);
        var sc = Roofline.ScalingTable(agg).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("| small | linear | 1 -> 2 | 1.50 / 1.93 / - | 1.50 / 1.90 / - | 1.50 / 1.50 / - |", sc[2]);
        Assert.Equal("", Roofline.ScalingTable(SuiteReport.Aggregate([R("ours", "tiny", "linear", 2, 1, 1, 1)])));
        Assert.Null(Roofline.AboveBound(1e9, 1, null, 1));
    }
}
