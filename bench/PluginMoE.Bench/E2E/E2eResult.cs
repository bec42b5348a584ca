// One end-to-end result line (one framework, model, router, thread count, round) and its JSON form, as the workers print
// it and the suite reads it back. BCL only: tests/PluginMoE.Bench.Tests compiles this file.
using System.Globalization;
using System.Text;
using System.Text.Json;

namespace PluginMoE.Bench.E2E;

/// <summary>
/// Tokens/s of a training step, a prefill and KV-cache decoding (medians over the worker's timed calls), CPU ms per
/// training step, the process's peak RSS after its training steps, and (PluginMoE only) managed MB and gen0 collections
/// per step; then the cold cost of a fresh process: milliseconds from process start to the built model (runtime start-up,
/// assembly loading or <c>import torch</c>, model construction), the first training step, the mean of the first 10
/// (wall and CPU), and how many warm-up steps the rule ran; <see cref="Error"/> instead of figures when the worker failed.
/// </summary>
internal sealed record E2eResult(string Framework, string Model, string Router, int Threads)
{
    public double? TrainTokS { get; init; }
    public double? PrefillTokS { get; init; }
    public double? DecodeTokS { get; init; }
    public double? TrainCpuMs { get; init; }
    public double? PeakRssMb { get; init; }
    public double? AllocMbPerStep { get; init; }
    public double? GcsPerStep { get; init; }
    public double? InitMs { get; init; }
    public double? FirstStepMs { get; init; }
    public double? First10Ms { get; init; }
    public double? First10CpuMs { get; init; }
    public double? WarmupSteps { get; init; }
    public int? Round { get; init; }
    public string? Error { get; init; }

    /// <summary>On a result of <see cref="SuiteReport.Aggregate"/>: the successful rounds its medians are over (each with its
    /// <see cref="Round"/>), for per-round ratios and their spread; null on a single measurement. Not written to JSON.</summary>
    public IReadOnlyList<E2eResult>? PerRound { get; init; }

    /// <summary>The (model, router, threads) case this result belongs to.</summary>
    public (string Model, string Router, int Threads) Case => (Model, Router, Threads);

    /// <summary>One flat JSON object; absent figures are left out.</summary>
    public string ToJson()
    {
        var s = new StringBuilder();
        s.Append(CultureInfo.InvariantCulture, $"{{\"e2e\":\"result\",\"framework\":{Str(Framework)},\"model\":{Str(Model)},\"router\":{Str(Router)},\"threads\":{Threads}");
        if (Round is int r) s.Append(CultureInfo.InvariantCulture, $",\"round\":{r}");
        Field(s, "train_tok_s", TrainTokS);
        Field(s, "prefill_tok_s", PrefillTokS);
        Field(s, "decode_tok_s", DecodeTokS);
        Field(s, "train_cpu_ms", TrainCpuMs);
        Field(s, "peak_rss_mb", PeakRssMb);
        Field(s, "alloc_mb_per_step", AllocMbPerStep);
        Field(s, "gcs_per_step", GcsPerStep);
        Field(s, "init_ms", InitMs);
        Field(s, "first_step_ms", FirstStepMs);
        Field(s, "first10_ms", First10Ms);
        Field(s, "first10_cpu_ms", First10CpuMs);
        Field(s, "warmup_steps", WarmupSteps);
        if (Error is not null) s.Append(",\"error\":").Append(Str(Error));
        return s.Append('}').ToString();
    }

    /// <summary>Reads a line written by <see cref="ToJson"/> (or by tools/bench/torch_reference.py --e2e); null when the line is not a result.</summary>
    public static E2eResult? TryParse(string line)
    {
        if (!line.StartsWith('{')) return null;
        try
        {
            using var doc = JsonDocument.Parse(line);
            var o = doc.RootElement;
            if (!o.TryGetProperty("e2e", out var kind) || kind.GetString() != "result") return null;
            double? Num(string name) => o.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetDouble() : null;
            return new E2eResult(o.GetProperty("framework").GetString()!, o.GetProperty("model").GetString()!, o.GetProperty("router").GetString()!,
                o.GetProperty("threads").GetInt32())
            {
                TrainTokS = Num("train_tok_s"), PrefillTokS = Num("prefill_tok_s"), DecodeTokS = Num("decode_tok_s"), TrainCpuMs = Num("train_cpu_ms"),
                PeakRssMb = Num("peak_rss_mb"), AllocMbPerStep = Num("alloc_mb_per_step"), GcsPerStep = Num("gcs_per_step"),
                InitMs = Num("init_ms"), FirstStepMs = Num("first_step_ms"), First10Ms = Num("first10_ms"), First10CpuMs = Num("first10_cpu_ms"),
                WarmupSteps = Num("warmup_steps"),
                Round = o.TryGetProperty("round", out var rr) && rr.ValueKind == JsonValueKind.Number ? rr.GetInt32() : null,
                Error = o.TryGetProperty("error", out var e) ? e.GetString() : null,
            };
        }
        catch (JsonException) { return null; }
        catch (KeyNotFoundException) { return null; }
        catch (InvalidOperationException) { return null; }
    }

    internal static string Str(string s) => JsonSerializer.Serialize(s);

    internal static string Num(double v) => double.IsFinite(v) ? v.ToString("G6", CultureInfo.InvariantCulture) : "null";

    private static void Field(StringBuilder s, string name, double? v)
    {
        if (v is double x) s.Append(",\"").Append(name).Append("\":").Append(Num(x));
    }
}
