// Deterministic work partitioning: a range is cut into a fixed number of contiguous chunks that depends only on the
// range and the configured thread count, so results are bit-reproducible. The chunks run on the calling thread and a
// persistent worker team (WorkerTeam.cs): no task, closure or wake-up of the thread pool per call.
namespace PluginMoE.Tensors.Backends;

/// <summary>Deterministic parallel loops over index ranges.</summary>
public static class ParallelFor
{
    /// <summary>Largest number of chunks one <see cref="Run"/> cuts a range into, whatever <see cref="Threads"/> says.</summary>
    public const int MaxChunks = WorkerTeam.MaxChunks;

    private static int _threads = Environment.ProcessorCount;
    private static readonly AsyncLocal<int?> Scoped = new();

    /// <summary>
    /// Number of chunks the kernels cut their work into (default: the processor count), and so the number of threads
    /// that run them (the caller and at most processor count - 1 persistent workers). Results are bitwise identical for
    /// the same inputs and the same value of this setting, whichever threads run the chunks.
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
    /// Runs <paramref name="body"/>(start, end) over [0, <paramref name="count"/>) in <see cref="ChunkCount"/> contiguous
    /// chunks (chunk c covers [count * c / chunks, count * (c + 1) / chunks)). Ranges smaller than
    /// <paramref name="minChunk"/> per thread run inline on the caller. The chunks run on the caller and the worker team;
    /// a call made while the team is busy (from inside a chunk, or from another thread at the same time) runs its
    /// chunks one after another on its own thread, with the same boundaries. If chunks throw, the exception of the
    /// lowest-numbered failing chunk is rethrown as it is (chunks not yet started are skipped).
    /// </summary>
    public static void Run(int count, int minChunk, Action<int, int> body)
    {
        ArgumentNullException.ThrowIfNull(body);
        if (count <= 0) return;
        int chunks = ChunkCount(count, minChunk);
        if (chunks <= 1)
        {
            body(0, count);
            return;
        }
        if (WorkerTeam.Shared.TryRun(count, chunks, body)) return;
        for (int c = 0; c < chunks; c++) body(ChunkStart(count, c, chunks), ChunkStart(count, c + 1, chunks));
    }

    /// <summary>
    /// Chunks per thread that <see cref="RunBalanced"/> cuts a range into: a worker that wakes late (it sleeps after
    /// 50 us without work) or runs slower still finds chunks left, and the caller does not end up running the whole loop.
    /// </summary>
    internal const int BalancedChunksPerThread = 4;

    /// <summary>
    /// <see cref="Run"/> with up to <see cref="BalancedChunksPerThread"/> chunks per thread, claimed dynamically by the
    /// caller and the workers; for kernels whose result does not depend on where the chunk boundaries fall (every index
    /// computed by the same arithmetic whichever chunk holds it), so finer chunks only change who runs what. With one
    /// thread the whole range runs inline, as <see cref="Run"/> does.
    /// </summary>
    public static void RunBalanced(int count, int minChunk, Action<int, int> body)
    {
        ArgumentNullException.ThrowIfNull(body);
        if (count <= 0) return;
        int threads = Threads;
        int chunks = threads <= 1 ? 1 : Math.Min(Math.Min(threads * BalancedChunksPerThread, MaxChunks), Math.Max(1, count / Math.Max(1, minChunk)));
        if (chunks <= 1)
        {
            body(0, count);
            return;
        }
        if (WorkerTeam.Shared.TryRun(count, chunks, body)) return;
        for (int c = 0; c < chunks; c++) body(ChunkStart(count, c, chunks), ChunkStart(count, c + 1, chunks));
    }

    /// <summary>Number of chunks <see cref="Run"/> would use; callers that reduce per chunk size buffers with it.</summary>
    public static int ChunkCount(int count, int minChunk) =>
        count <= 0 ? 0 : Math.Min(Math.Min(Threads, MaxChunks), Math.Max(1, count / Math.Max(1, minChunk)));

    /// <summary>First index of chunk <paramref name="chunk"/> when [0, <paramref name="count"/>) is cut into <paramref name="chunks"/>.</summary>
    internal static int ChunkStart(int count, int chunk, int chunks) => (int)((long)count * chunk / chunks);
}
