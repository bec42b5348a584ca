// Benchmark harness: runs the registered cases (warmup, repeats, median) and prints one JSON line per case;
// --reference also runs them in PyTorch (tools/bench/torch_reference.py) and prints ours/torch ratios.
// Usage: dotnet run -c Release --project bench/PluginMoE.Bench -- [--threads N] [--filter S] [--quick] [--reference] [--reps N]
//        [--device D[,D...]] [--rounds R] [--profile-kernels]
// --device torch-cpu runs every case on the LibTorch backend (inputs are created there); the default is cpu.
// --device cpu,torch-cpu runs each case on both, interleaved (case by case, device after device, R rounds; the
// reported time is the median over rounds of each round's median), then prints each case's rate on every device
// over its rate on the first (vs_cpu > 1: faster than cpu).
// --profile-kernels times every IBackend call of the LibTorch backend and prints, per case, where the time went; on the
// CPU backend (built in, not replaceable) it prints the op-level profile instead (forward ops, backward rules, engine,
// optimizer steps: Tensors/Autograd/OpProfile.cs) of the case's last round, totals over its calls.
// --filter matches a substring of a case's key (op, shape, tags), e.g. gemm or [1024,1024,1024],"dtype":"float32","layout":"nn".
// --exclude S leaves out the cases whose key contains S; --filter-any A,B,C keeps those whose key contains any of them.
// --reps N times exactly N calls after one warmup call (for perf stat and other profilers).
// --exp-kernels prints the CPU time per call (1 thread) of the kernels that compute a float32 exp (ExpKernelTimes.cs).
// --suite runs the whole suite (end-to-end models in PluginMoE, PyTorch and TorchSharp, then these cases): see E2E/Suite.cs.
using System.Diagnostics;
using PluginMoE.Bench;
using PluginMoE.Bench.Cases;
using PluginMoE.Tensors;
using PluginMoE.Tensors.Backends;

// A/B knob: 1 packs the fused grouped SwiGLU FFN's weights again for every block of rows (the path before 2026-11-30 22:15 UTC).
if (Environment.GetEnvironmentVariable("PLUGINMOE_BENCH_FFN_REPACK") == "1") CpuBackend.FfnPrepackWeights = false;
if (args.Length > 0 && args[0] == "--e2e-worker") return PluginMoE.Bench.E2E.Worker.Run(args[1..]);
if (args.Length > 0 && args[0] == "--exp-kernels") return PluginMoE.Bench.ExpKernelTimes.Run(args[1..]);
if (args.Length > 0 && args[0] == "--gemm-packing") return PluginMoE.Bench.GemmPackingShare.Run(args[1..]);
if (args.Length > 0 && args[0] == "--memory-probe") return PluginMoE.Bench.MemoryProbe.Run(args[1..]);
if (args.Contains("--suite")) return PluginMoE.Bench.E2E.Suite.Run(args);

int threads = Environment.ProcessorCount;
string? filter = null, exclude = null;
string[]? filterAny = null;
string deviceName = "cpu";
bool quick = false, reference = false, profileKernels = false;
int rounds = 1;
int reps = 0;
string python = "/usr/bin/python3";
for (int i = 0; i < args.Length; i++)
{
    switch (args[i])
    {
        case "--threads": threads = int.Parse(args[++i], System.Globalization.CultureInfo.InvariantCulture); break;
        case "--filter": filter = args[++i]; break;
        case "--exclude": exclude = args[++i]; break;
        case "--filter-any": filterAny = args[++i].Split(',', StringSplitOptions.RemoveEmptyEntries); break;
        case "--quick": quick = true; break;
        case "--reference": reference = true; break;
        case "--python": python = args[++i]; break;
        case "--reps": reps = int.Parse(args[++i], System.Globalization.CultureInfo.InvariantCulture); break;
        case "--device": deviceName = args[++i]; break;
        case "--rounds": rounds = int.Parse(args[++i], System.Globalization.CultureInfo.InvariantCulture); break;
        case "--profile-kernels": profileKernels = true; break;
        default:
            Console.Error.WriteLine($"unknown option '{args[i]}'; options: --suite (see README), --threads N, --filter S, --exclude S, --filter-any A,B, --quick, --reference, --reps N, --python PATH, " +
                "--device cpu|torch-cpu|cpu,torch-cpu, --rounds R, --profile-kernels");
            return 2;
    }
}
ParallelFor.Threads = threads;
var devices = deviceName.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).Select(Device.Parse).Distinct().ToList();
if (devices.Count == 0 || rounds < 1)
{
    Console.Error.WriteLine("--device needs at least one device (cpu, torch-cpu or a list such as cpu,torch-cpu) and --rounds at least 1");
    return 2;
}
KernelProfiler? profiler = null;
if (devices.Any(d => d.type != DeviceType.CPU))
{
    Console.Error.WriteLine($"bench: {PluginMoE.Tensors.Torch.TorchBackend.Register()}");
    TorchSharp.torch.set_num_threads(threads);
    if (profileKernels) profiler = KernelProfiler.Install(devices.First(d => d.type != DeviceType.CPU));
}
bool profileOps = profileKernels && devices.Any(d => d.type == DeviceType.CPU);
var device = devices[0];
var cases = Registry.All().Where(c => (filter is null || c.Key.Contains(filter, StringComparison.OrdinalIgnoreCase))
    && (exclude is null || !c.Key.Contains(exclude, StringComparison.OrdinalIgnoreCase))
    && (filterAny is null || filterAny.Any(f => c.Key.Contains(f, StringComparison.OrdinalIgnoreCase)))).ToList();
if (cases.Count == 0)
{
    Console.Error.WriteLine($"no case matches --filter {filter}; ops: {string.Join(", ", Registry.All().Select(c => c.Op).Distinct())}");
    return 2;
}

var ours = new Dictionary<string, (double rate, double best, double cpuMs)>();
var byDevice = new Dictionary<(string Key, Device Device), double>();
foreach (var c in cases)
{
    var runs = new List<(Device Device, Action Run)>();
    foreach (var d in devices)
    {
        torch.set_default_device(d);
        try { runs.Add((d, c.Setup())); }
        catch (Exception e) when (d.type != DeviceType.CPU && e is NotSupportedException or InvalidOperationException)
        {
            Console.WriteLine($"{{{c.Key},\"device\":\"{d}\",\"skipped\":\"{e.Message.Replace("\"", "'", StringComparison.Ordinal)}\"}}");
        }
    }
    var measured = runs.ToDictionary(r => r.Device, _ => new List<(double ms, double cpuMs, double minMs, GcStats gc)>());
    for (int round = 0; round < rounds; round++)
    {
        foreach (var (d, run) in runs)
        {
            torch.set_default_device(d);
            profiler?.Reset();
            bool ops = profileOps && d.type == DeviceType.CPU && round == rounds - 1;
            if (ops)
            {
                PluginMoE.Tensors.Autograd.OpProfile.Reset();
                PluginMoE.Tensors.Autograd.OpProfile.Enabled = true;
                PluginMoE.Tensors.Autograd.OpProfile.Mark();
            }
            measured[d].Add(Timing.Measure(run, quick, reps));
            if (ops)
            {
                PluginMoE.Tensors.Autograd.OpProfile.Enabled = false;
                Console.WriteLine($"{{{c.Key},\"device\":\"{d}\",\"op_profile\":{PluginMoE.Tensors.Autograd.OpProfile.ToJson(top: 30)}}}");
            }
            if (profiler is not null && d.type != DeviceType.CPU && round == rounds - 1) profiler.Print(c.Key);
        }
    }
    foreach (var (d, _) in runs)
    {
        var m = measured[d];
        double ms = Median(m.Select(x => x.ms)), cpuMs = Median(m.Select(x => x.cpuMs)), minMs = m.Min(x => x.minMs);
        var gc = m[^1].gc;
        double Rate(double t) => c.Unit == "gflops" ? c.Work / t / 1e6 : c.Work / t * 1e3;
        double rate = Rate(ms), best = Rate(minMs);
        if (d == device) ours[c.Key] = (rate, best, cpuMs);
        byDevice[(c.Key, d)] = rate;
        string unit = c.Unit == "gflops" ? "gflops" : "elems_per_s";
        string rateField = $"\"{unit}\":{Json.Num(rate)},\"{unit}_best\":{Json.Num(best)}";
        string roundsField = rounds > 1 ? $",\"rounds\":{rounds}" : "";
        Console.WriteLine($"{{{c.Key},\"device\":\"{d}\",\"threads\":{threads},{rateField},\"ms\":{Json.Num(ms)},\"cpu_ms\":{Json.Num(cpuMs)},\"min_ms\":{Json.Num(minMs)}{roundsField},{gc.Json()},\"peak_rss_mb\":{Json.Num(Process.GetCurrentProcess().PeakWorkingSet64 / 1e6)}}}");
    }
    runs.Clear();
    torch.set_default_device(device);
    GC.Collect();
    GC.WaitForPendingFinalizers();
}

// With several devices: each case's rate on every other device over its rate on the first.
if (devices.Count > 1)
{
    foreach (var c in cases)
    {
        if (!byDevice.TryGetValue((c.Key, device), out var first)) continue;
        foreach (var d in devices.Skip(1))
            if (byDevice.TryGetValue((c.Key, d), out var other))
                Console.WriteLine($"{{{c.Key},\"device\":\"{d}\",\"vs_{device}\":{Json.Num(other / first)}}}");
    }
}

// A case tagged "baseline" names another case of the same op and shape by its "variant" tag (GroupedCases) or, without
// one, its "router" tag (RouterCases): print
// this case's time over the baseline's, e.g. the Nexus training overhead over a linear router: median wall time, best
// wall time, and median CPU time (all threads; what a loaded machine inflates least).
foreach (var c in cases)
{
    if (!c.Tags.TryGetValue("baseline", out var baseline)) continue;
    var b = cases.FirstOrDefault(o => o != c && o.Op == c.Op && o.Shape.SequenceEqual(c.Shape)
        && (o.Tags.GetValueOrDefault("variant") ?? o.Tags.GetValueOrDefault("router")) == baseline);
    if (b is null || !ours.ContainsKey(b.Key) || !ours.ContainsKey(c.Key)) continue;
    Console.WriteLine($"{{{c.Key},\"vs\":\"{baseline}\",\"time_ratio\":{Json.Num(ours[b.Key].rate / ours[c.Key].rate)},\"time_ratio_best\":{Json.Num(ours[b.Key].best / ours[c.Key].best)},\"time_ratio_cpu\":{Json.Num(ours[c.Key].cpuMs / ours[b.Key].cpuMs)}}}");
}

if (reference)
{
    var script = FindScript("tools/bench/torch_reference.py");
    var psi = new ProcessStartInfo(python)
    {
        RedirectStandardInput = true,
        RedirectStandardOutput = true,
        UseShellExecute = false,
    };
    psi.ArgumentList.Add(script);
    psi.ArgumentList.Add("--threads");
    psi.ArgumentList.Add(threads.ToString(System.Globalization.CultureInfo.InvariantCulture));
    if (quick) psi.ArgumentList.Add("--quick");
    PluginMoE.Bench.ReferenceEnvironment.Apply(psi, threads); // OpenBLAS's best kernel and thread count, sleeping idle OpenMP threads
    using var p = Process.Start(psi) ?? throw new InvalidOperationException($"could not start {python}");
    foreach (var c in cases)
        p.StandardInput.WriteLine($"{{{c.Key},\"unit\":\"{c.Unit}\",\"work\":{Json.Num(c.Work)}}}");
    p.StandardInput.Close();
    var refs = new Dictionary<string, Dictionary<string, (double rate, double best, double cpuMs)>>();
    string? line;
    while ((line = p.StandardOutput.ReadLine()) != null)
    {
        if (!line.StartsWith('{')) continue;
        Console.WriteLine(line);
        var (key, numbers) = Json.Parse(line);
        string impl = System.Text.Json.JsonDocument.Parse(line).RootElement.GetProperty("impl").GetString()!;
        string unit = numbers.ContainsKey("gflops") ? "gflops" : "elems_per_s";
        if (!refs.TryGetValue(key, out var byImpl)) refs[key] = byImpl = [];
        byImpl[impl] = (numbers.GetValueOrDefault(unit), numbers.GetValueOrDefault(unit + "_best"), numbers.GetValueOrDefault("cpu_ms"));
    }
    p.WaitForExit();
    if (p.ExitCode != 0) Console.Error.WriteLine($"torch_reference.py exited with {p.ExitCode} (is PyTorch installed? see tools/install-reference.sh)");
    foreach (var c in cases)
    {
        if (!refs.TryGetValue(c.Key, out var byImpl) || !ours.TryGetValue(c.Key, out var mine)) continue;
        var (our, ourBest, ourCpu) = mine;
        var fields = $"{{{c.Key},\"threads\":{threads},\"ours\":{Json.Num(our)}";
        foreach (var (impl, (rate, best, cpu)) in byImpl.OrderBy(x => x.Key, StringComparer.Ordinal))
        {
            string suffix = impl == "torch" ? "" : "_" + impl;
            fields += $",\"{impl}\":{Json.Num(rate)},\"ratio{suffix}\":{Json.Num(our / rate)},\"ratio{suffix}_best\":{Json.Num(ourBest / best)}";
            // Their CPU ms per call over ours (all threads; above 1: ours costs less CPU): what a loaded host inflates least.
            if (cpu > 0 && ourCpu > 0) fields += $",\"ratio{suffix}_cpu\":{Json.Num(cpu / ourCpu)}";
        }
        Console.WriteLine(fields + "}");
    }
}
return 0;

static double Median(IEnumerable<double> values)
{
    var v = values.Order().ToArray();
    return v.Length % 2 == 1 ? v[v.Length / 2] : (v[v.Length / 2 - 1] + v[v.Length / 2]) / 2;
}

static string FindScript(string relative)
{
    for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir != null; dir = dir.Parent)
    {
        var path = Path.Combine(dir.FullName, relative);
        if (File.Exists(path)) return path;
    }
    var cwd = Path.Combine(Environment.CurrentDirectory, relative);
    return File.Exists(cwd) ? cwd : throw new FileNotFoundException($"{relative} not found above {AppContext.BaseDirectory}");
}
