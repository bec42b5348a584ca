// Per-kernel timing for --profile-kernels: the LibTorch backend is re-registered behind a DispatchProxy that times
// every IBackend call (wall clock, calls) so that a case's time can be split by kernel. Nested calls are counted in
// their caller only (the LibTorch backend does not call itself through the registry).
using System.Diagnostics;
using System.Reflection;
using PluginMoE.Tensors;
using PluginMoE.Tensors.Backends;

namespace PluginMoE.Bench;

/// <summary>Times every call of one device's backend.</summary>
public class KernelProfiler : DispatchProxy
{
    private IBackend _inner = null!;
    private readonly Dictionary<string, (long Calls, long Ticks)> _totals = [];
    private long _runTicks;

    /// <summary>Wraps the backend of <paramref name="device"/> (already registered) and registers the wrapper instead.</summary>
    internal static KernelProfiler Install(Device device)
    {
        var inner = BackendRegistry.Get(device);
        var proxy = Create<IBackend, KernelProfiler>();
        var profiler = (KernelProfiler)(object)proxy;
        profiler._inner = inner;
        BackendRegistry.Register(device.type, _ => proxy);
        profiler._runTicks = Stopwatch.GetTimestamp();
        return profiler;
    }

    /// <summary>Forgets the totals so far.</summary>
    internal void Reset()
    {
        _totals.Clear();
        _runTicks = Stopwatch.GetTimestamp();
    }

    /// <summary>Prints one JSON line: the share of wall time inside the backend and the kernels that took the most.</summary>
    internal void Print(string caseKey)
    {
        double wall = Stopwatch.GetElapsedTime(_runTicks).TotalMilliseconds;
        double inside = _totals.Values.Sum(t => t.Ticks) * 1000.0 / Stopwatch.Frequency;
        long calls = _totals.Values.Sum(t => t.Calls);
        var top = _totals.OrderByDescending(kv => kv.Value.Ticks).Take(12)
            .Select(kv => $"\"{kv.Key}\":{{\"calls\":{kv.Value.Calls},\"ms\":{Json.Num(kv.Value.Ticks * 1000.0 / Stopwatch.Frequency)}," +
                $"\"us_per_call\":{Json.Num(kv.Value.Ticks * 1e6 / Stopwatch.Frequency / kv.Value.Calls)}}}");
        Console.WriteLine($"{{{caseKey},\"kernel_profile\":{{\"wall_ms\":{Json.Num(wall)},\"in_backend_ms\":{Json.Num(inside)},\"calls\":{calls}," +
            $"\"top\":{{{string.Join(',', top)}}}}}}}");
    }

    /// <inheritdoc/>
    protected override object? Invoke(MethodInfo? targetMethod, object?[]? args)
    {
        ArgumentNullException.ThrowIfNull(targetMethod);
        long t0 = Stopwatch.GetTimestamp();
        try
        {
            return targetMethod.Invoke(_inner, args);
        }
        catch (TargetInvocationException e) when (e.InnerException is not null)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(e.InnerException).Throw();
            throw;
        }
        finally
        {
            long dt = Stopwatch.GetTimestamp() - t0;
            var (c, t) = _totals.GetValueOrDefault(targetMethod.Name);
            _totals[targetMethod.Name] = (c + 1, t + dt);
        }
    }
}
