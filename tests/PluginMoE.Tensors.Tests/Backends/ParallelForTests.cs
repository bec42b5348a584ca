// ParallelFor and its persistent worker team: fixed chunk boundaries, bitwise-reproducible results, exceptions,
// nested and concurrent calls, WithThreads scoping, and a bounded number of worker threads.
using System.Collections.Concurrent;
using PluginMoE.Tensors.Backends;

namespace PluginMoE.Tensors.Tests.Backends;

public class ParallelForTests
{
    // A team of its own for the tests that need a free team (other test classes use the shared one at the same time).
    private static readonly WorkerTeam Team = new(2);

    private static List<(int Start, int End)> Chunks(int count, int minChunk, int threads)
    {
        var seen = new ConcurrentBag<(int, int)>();
        using (ParallelFor.WithThreads(threads)) ParallelFor.Run(count, minChunk, (s, e) => seen.Add((s, e)));
        return [.. seen.OrderBy(c => c.Item1)];
    }

    [Fact]
    public void Run_CutsTheRangeIntoFixedContiguousChunks()
    {
        Assert.Equal([(0, 3), (3, 6), (6, 10)], Chunks(10, 1, 3));
        Assert.Equal([(0, 50), (50, 100)], Chunks(100, 1, 2));
        Assert.Equal([(0, 100)], Chunks(100, 1, 1));
        // minChunk bounds the number of chunks: 100 / 40 = 2 chunks although 8 threads are allowed.
        Assert.Equal([(0, 50), (50, 100)], Chunks(100, 40, 8));
        Assert.Equal(2, ParallelFor.ChunkCount(100, 40));
        Assert.Equal(0, ParallelFor.ChunkCount(0, 1));
        Assert.Empty(Chunks(0, 1, 4));
    }

    [Fact]
    public void RunBalanced_CutsSeveralChunksPerThread_CoveringEveryIndexOnce()
    {
        static List<(int Start, int End)> Balanced(int count, int minChunk, int threads)
        {
            var seen = new ConcurrentBag<(int, int)>();
            using (ParallelFor.WithThreads(threads)) ParallelFor.RunBalanced(count, minChunk, (s, e) => seen.Add((s, e)));
            return [.. seen.OrderBy(c => c.Item1)];
        }
        // 2 threads: 4 chunks each; the chunks tile the range in order.
        Assert.Equal([.. Enumerable.Range(0, 8).Select(c => (c * 100 / 8, (c + 1) * 100 / 8))], Balanced(100, 1, 2));
        // One thread: the whole range inline, in one call; minChunk still bounds the count (100 / 30 = 3 chunks).
        Assert.Equal([(0, 100)], Balanced(100, 1, 1));
        Assert.Equal([(0, 33), (33, 66), (66, 100)], Balanced(100, 30, 8));
        Assert.Empty(Balanced(0, 1, 4));
        var hits = new int[1000];
        using (ParallelFor.WithThreads(3)) ParallelFor.RunBalanced(hits.Length, 7, (s, e) => { for (int i = s; i < e; i++) Interlocked.Increment(ref hits[i]); });
        Assert.All(hits, h => Assert.Equal(1, h));
    }

    [Fact]
    public void Run_BelowTheMinimumChunk_RunsInlineOnTheCaller()
    {
        int caller = Environment.CurrentManagedThreadId, calls = 0, thread = -1;
        using (ParallelFor.WithThreads(4))
            ParallelFor.Run(1000, 600, (s, e) => { calls++; thread = Environment.CurrentManagedThreadId; Assert.Equal((0, 1000), (s, e)); });
        Assert.Equal(1, calls);
        Assert.Equal(caller, thread);
    }

    [Fact]
    public void Run_ChunkBoundariesAndResults_AreTheSameOnEveryRun()
    {
        var x = new float[10_007];
        var g = new System.Random(3);
        for (int i = 0; i < x.Length; i++) x[i] = (float)(g.NextDouble() * 2 - 1) * (i % 7 == 0 ? 1e4f : 1f);
        float Sum(int threads)
        {
            using var _ = ParallelFor.WithThreads(threads);
            var partial = new float[ParallelFor.ChunkCount(x.Length, 64)];
            var chunkOf = Enumerable.Range(0, partial.Length).ToDictionary(c => ParallelFor.ChunkStart(x.Length, c, partial.Length));
            ParallelFor.Run(x.Length, 64, (s, e) =>
            {
                float acc = 0;
                for (int i = s; i < e; i++) acc += x[i];
                partial[chunkOf[s]] = acc;
            });
            float total = 0;
            foreach (var p in partial) total += p;
            return total;
        }
        // The reference: the same chunks summed one after another on this thread.
        float Sequential(int chunks)
        {
            float total = 0;
            for (int c = 0; c < chunks; c++)
            {
                float acc = 0;
                for (int i = ParallelFor.ChunkStart(x.Length, c, chunks); i < ParallelFor.ChunkStart(x.Length, c + 1, chunks); i++) acc += x[i];
                total += acc;
            }
            return total;
        }
        foreach (int threads in new[] { 2, 3, 5 })
        {
            float expected = Sequential(threads);
            for (int run = 0; run < 50; run++) Assert.Equal(BitConverter.SingleToInt32Bits(expected), BitConverter.SingleToInt32Bits(Sum(threads)));
        }
    }

    [Fact]
    public void Run_CoversEveryIndexOnce_OverManyCalls()
    {
        var hits = new int[5000];
        using (ParallelFor.WithThreads(3))
            for (int call = 0; call < 300; call++)
                ParallelFor.Run(hits.Length, 1, (s, e) => { for (int i = s; i < e; i++) Interlocked.Increment(ref hits[i]); });
        Assert.All(hits, h => Assert.Equal(300, h));
    }

    [Fact]
    public void Run_RethrowsTheLowestFailingChunksExceptionUnwrapped()
    {
        using var _ = ParallelFor.WithThreads(4);
        var ex = Assert.Throws<InvalidOperationException>(() => ParallelFor.Run(4, 1, (s, e) =>
        {
            if (s == 1 || s == 3) throw new InvalidOperationException($"chunk starting at {s} failed");
        }));
        Assert.Equal("chunk starting at 1 failed", ex.Message);
        // The team is usable again afterwards.
        int sum = 0;
        ParallelFor.Run(4, 1, (s, e) => Interlocked.Add(ref sum, e - s));
        Assert.Equal(4, sum);
    }

    [Fact]
    public void Team_RethrowsAndRecovers()
    {
        var ex = Assert.Throws<ArgumentException>(() => Team.TryRun(6, 3, (s, e) =>
        {
            if (s >= 2) throw new ArgumentException($"bad chunk {s}-{e}");
        }));
        Assert.Equal("bad chunk 2-4", ex.Message);
        int covered = 0;
        Assert.True(Team.TryRun(6, 3, (s, e) => Interlocked.Add(ref covered, e - s)));
        Assert.Equal(6, covered);
    }

    [Fact]
    public void Run_NestedInsideAChunk_CompletesWithTheSameChunks()
    {
        var inner = new ConcurrentBag<(int Outer, int Start, int End)>();
        var thread = new Thread(() =>
        {
            using var _ = ParallelFor.WithThreads(2);
            ParallelFor.Run(4, 1, (s, e) =>
                ParallelFor.Run(10, 1, (a, b) => inner.Add((s, a, b))));
        });
        thread.Start();
        Assert.True(thread.Join(TimeSpan.FromSeconds(60)), "nested ParallelFor.Run did not finish (deadlock)");
        Assert.Equal(4, inner.Count);
        foreach (int outer in new[] { 0, 2 })
            Assert.Equal([(0, 5), (5, 10)], inner.Where(t => t.Outer == outer).Select(t => (t.Start, t.End)).OrderBy(t => t.Start));
    }

    [Fact]
    public void Run_FromManyThreadsAtOnce_GivesEachCallerItsOwnResult()
    {
        var results = new long[8];
        var threads = Enumerable.Range(0, results.Length).Select(k => new Thread(() =>
        {
            using var _ = ParallelFor.WithThreads(2 + k % 3);
            for (int rep = 0; rep < 50; rep++)
            {
                long total = 0;
                ParallelFor.Run(1000 + k, 1, (s, e) =>
                {
                    long acc = 0;
                    for (int i = s; i < e; i++) acc += i;
                    Interlocked.Add(ref total, acc);
                });
                results[k] = total;
            }
        })).ToList();
        threads.ForEach(t => t.Start());
        Assert.All(threads, t => Assert.True(t.Join(TimeSpan.FromSeconds(60))));
        for (int k = 0; k < results.Length; k++) Assert.Equal((long)(1000 + k) * (999 + k) / 2, results[k]);
    }

    [Fact]
    public void Run_ChunksSeeTheCallersWithThreadsScope()
    {
        var seen = new ConcurrentBag<int>();
        using (ParallelFor.WithThreads(3)) ParallelFor.Run(3, 1, (s, e) => seen.Add(ParallelFor.Threads));
        Assert.Equal([3, 3, 3], seen);
        // On a free team too (its workers run the chunks under the caller's execution context).
        seen.Clear();
        using (ParallelFor.WithThreads(5)) Assert.True(Team.TryRun(30, 3, (s, e) => seen.Add(ParallelFor.Threads)));
        Assert.Equal([5, 5, 5], seen);
    }

    [Fact]
    public void Team_RunsChunksOnASecondThread()
    {
        // Chunk 0 waits until another thread has entered chunk 1: only a parallel team gets both going.
        var ids = new ConcurrentDictionary<int, int>();
        using var both = new CountdownEvent(2);
        bool ran = Team.TryRun(2, 2, (s, e) =>
        {
            ids[s] = Environment.CurrentManagedThreadId;
            both.Signal();
            Assert.True(both.Wait(TimeSpan.FromSeconds(60)), "the second chunk never started on another thread");
        });
        Assert.True(ran);
        Assert.NotEqual(ids[0], ids[1]);
    }

    [Fact]
    public void Team_MoreChunksThanThreads_StillRunsEveryChunkOnce()
    {
        var hits = new int[7];
        Assert.True(Team.TryRun(7, 7, (s, e) => Interlocked.Increment(ref hits[s])));
        Assert.All(hits, h => Assert.Equal(1, h));
        Assert.Equal(2, Team.WorkerCount); // capped at the team's size, however many chunks
    }

    [Fact]
    public void SharedTeam_NeverGrowsPastTheProcessorCount()
    {
        using (ParallelFor.WithThreads(64))
            for (int i = 0; i < 20; i++) ParallelFor.Run(640, 1, (s, e) => { });
        Assert.InRange(WorkerTeam.Shared.WorkerCount, 0, Math.Max(1, Environment.ProcessorCount - 1));
    }

    [Fact]
    public void Threads_RejectsLessThanOne()
    {
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => ParallelFor.WithThreads(0));
        Assert.Contains("thread count must be at least 1", ex.Message);
    }
}
