// Deterministic work partitioning: a range is cut into a fixed number of contiguous chunks that
// depends only on the range and the configured thread count, so results are bit-reproducible.
namespace PluginMoE.Tensors.Backends;

/// <summary>Deterministic parallel loops over index ranges.</summary>
public static class ParallelFor
{
    private static int _threads = Environment.ProcessorCount;
    private static readonly AsyncLocal<int?> Scoped = new();

    /// <summary>
    /// Number of worker threads the kernels use (default: the processor count). Results are
    /// bitwise identical for the same inputs and the same value of this setting.
    /// </summary>
    public static int Threads
    {
        get => Scoped.Value ?? _threads;
        set => _threads = value >= 1 ? value : throw new ArgumentOutOfRangeException(nameof(value), value, "thread count must be at least 1");
    }

    /// <summary>
    /// Overrides <see cref="Threads"/> for the current async flow only (other threads and tests are unaffected)
    /// until the returned scope is disposed.
    /// </summary>
    public static IDisposable WithThreads(int threads)
    {
        if (threads < 1) throw new ArgumentOutOfRangeException(nameof(threads), threads, "thread count must be at least 1");
        var previous = Scoped.Value;
        Scoped.Value = threads;
        return new Restore(previous);
    }

    private sealed class Restore(int? previous) : IDisposable
    {
        public void Dispose() => Scoped.Value = previous;
    }

    /// <summary>
    /// Runs <paramref name="body"/>(start, end) over [0, <paramref name="count"/>) in at most <see cref="Threads"/>
    /// contiguous chunks. Ranges smaller than <paramref name="minChunk"/> per thread run inline.
    /// </summary>
    public static void Run(int count, int minChunk, Action<int, int> body)
    {
        ArgumentNullException.ThrowIfNull(body);
        if (count <= 0) return;
        int chunks = Math.Min(Threads, Math.Max(1, count / Math.Max(1, minChunk)));
        if (chunks <= 1)
        {
            body(0, count);
            return;
        }
        System.Threading.Tasks.Parallel.For(0, chunks, new ParallelOptions { MaxDegreeOfParallelism = chunks }, c =>
        {
            long start = (long)count * c / chunks;
            long end = (long)count * (c + 1) / chunks;
            body((int)start, (int)end);
        });
    }

    /// <summary>Number of chunks <see cref="Run"/> would use; callers that reduce per chunk size buffers with it.</summary>
    public static int ChunkCount(int count, int minChunk) =>
        count <= 0 ? 0 : Math.Min(Threads, Math.Max(1, count / Math.Max(1, minChunk)));
}
