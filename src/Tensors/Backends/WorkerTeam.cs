// The persistent worker team behind ParallelFor: up to (processor count - 1) background threads that, with the calling
// thread, claim the chunks of one loop at a time from a shared counter. Workers spin briefly after a loop (the next
// kernel usually follows within microseconds) and then sleep on their own event; the caller never waits for a worker
// to wake up, because it claims every chunk nobody else has started. Nothing is allocated per loop.
using System.Diagnostics;
using System.Runtime.ExceptionServices;

namespace PluginMoE.Tensors.Backends;

internal sealed class WorkerTeam
{
    /// <summary>Chunks of one loop are numbered in 16 bits of the claim word.</summary>
    public const int MaxChunks = 0xFFFF;

    /// <summary>The team every <see cref="ParallelFor.Run"/> uses.</summary>
    public static readonly WorkerTeam Shared = new(Math.Max(1, Environment.ProcessorCount - 1));

    /// <summary>
    /// How long an idle worker polls for the next loop before it sleeps, in microseconds (environment variable
    /// PLUGINMOE_WORKER_SPIN_US; default 50). Longer spins answer the next kernel sooner and burn more CPU between kernels.
    /// </summary>
    internal static readonly long SpinTicks = Stopwatch.Frequency * SpinMicros() / 1_000_000;

    private readonly int _maxWorkers;
    private readonly List<Worker> _workers = [];
    private int _busy;                 // 1 while a caller owns the team
    private long _state;               // generation (32 bits) | chunks (16) | next unclaimed chunk (16)
    private uint _generation;
    private Action<int, int>? _body;
    private int _count;
    private ExecutionContext? _context;
    private int _pending;              // chunks of the current loop not yet finished
    private Exception? _error;
    private int _errorChunk;
    private readonly Lock _errorLock = new();
    private readonly ManualResetEventSlim _done = new(false, 100);
    private static readonly ContextCallback RunInContext = s => ((Worker)s!).Team.Participate(((Worker)s!).Generation);

    internal WorkerTeam(int maxWorkers) => _maxWorkers = maxWorkers;

    /// <summary>Worker threads started so far (they live as long as the process).</summary>
    internal int WorkerCount
    {
        get { lock (_workers) return _workers.Count; }
    }

    /// <summary>
    /// Runs the <paramref name="chunks"/> chunks of [0, <paramref name="count"/>) on the caller and the team; false (and
    /// nothing run) when the team is already running a loop.
    /// </summary>
    public bool TryRun(int count, int chunks, Action<int, int> body)
    {
        if (Interlocked.CompareExchange(ref _busy, 1, 0) != 0) return false;
        try
        {
            int helpers = Math.Min(chunks - 1, _maxWorkers);
            if (_workers.Count < helpers) Grow(helpers);
            _body = body;
            _count = count;
            _context = ExecutionContext.Capture();
            _error = null;
            _errorChunk = int.MaxValue;
            _pending = chunks;
            if (++_generation == 0) _generation = 1;
            Volatile.Write(ref _state, (long)_generation << 32 | (long)chunks << 16);
            for (int i = 0; i < helpers; i++) _workers[i].Wake.Set();
            Participate(_generation);
            while (Volatile.Read(ref _pending) != 0)
            {
                _done.Wait();
                _done.Reset();
            }
            _body = null;
            _context = null;
            var error = _error;
            _error = null;
            if (error != null) ExceptionDispatchInfo.Capture(error).Throw();
            return true;
        }
        finally
        {
            Volatile.Write(ref _busy, 0);
        }
    }

    /// <summary>Claims and runs chunks of loop <paramref name="generation"/> until none is left unclaimed.</summary>
    private void Participate(uint generation)
    {
        while (true)
        {
            long s = Volatile.Read(ref _state);
            if ((uint)(s >>> 32) != generation) return;
            int chunks = (int)(s >> 16) & 0xFFFF, c = (int)s & 0xFFFF;
            if (c >= chunks) return;
            if (Interlocked.CompareExchange(ref _state, s + 1, s) != s) continue;
            // Claimed: the loop cannot finish (nor the fields change) before this chunk is counted done.
            if (Volatile.Read(ref _error) == null)
            {
                int count = _count;
                try
                {
                    _body!(ParallelFor.ChunkStart(count, c, chunks), ParallelFor.ChunkStart(count, c + 1, chunks));
                }
                catch (Exception e)
                {
                    lock (_errorLock)
                    {
                        if (c < _errorChunk)
                        {
                            _errorChunk = c;
                            Volatile.Write(ref _error, e);
                        }
                    }
                }
            }
            if (Interlocked.Decrement(ref _pending) == 0) _done.Set();
        }
    }

    private void Grow(int workers)
    {
        lock (_workers)
        {
            while (_workers.Count < workers)
            {
                var w = new Worker(this);
                var thread = new Thread(w.Loop) { IsBackground = true, Name = $"PluginMoE worker {_workers.Count + 1}" };
                _workers.Add(w);
                thread.Start();
            }
        }
    }

    private static long SpinMicros() =>
        long.TryParse(Environment.GetEnvironmentVariable("PLUGINMOE_WORKER_SPIN_US"), out long us) && us >= 0 ? us : 50;

    private sealed class Worker(WorkerTeam team)
    {
        public readonly WorkerTeam Team = team;
        public readonly ManualResetEventSlim Wake = new(false, 1);
        public uint Generation;

        public void Loop()
        {
            uint seen = 0;
            while (true)
            {
                uint current = (uint)(Volatile.Read(ref Team._state) >>> 32);
                if (current == seen)
                {
                    long until = Stopwatch.GetTimestamp() + SpinTicks;
                    while ((current = (uint)(Volatile.Read(ref Team._state) >>> 32)) == seen && Stopwatch.GetTimestamp() < until)
                        Thread.SpinWait(20);
                    if (current == seen)
                    {
                        Wake.Reset(); // before the re-check: a Set after it is kept, a loop published before it is seen
                        if ((uint)(Volatile.Read(ref Team._state) >>> 32) == seen) Wake.Wait();
                        continue;
                    }
                }
                seen = current;
                Generation = current;
                var context = Volatile.Read(ref Team._context);
                if (context != null) ExecutionContext.Run(context, RunInContext, this);
                else Team.Participate(current);
            }
        }
    }
}
