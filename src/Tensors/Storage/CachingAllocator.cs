// The CPU caching allocator: storage arrays are kept after release and handed out again to the next request of
// the same element type and size class (a training or inference step repeats its shapes, so after the first step
// nearly every request is a reuse). Requests are rounded up to size classes, eight per power of two (at most 12.5%
// more than asked, about 6% on average), so lengths that vary a little from step to step (tokens per expert in an
// MoE layer, the last batch of an epoch) share buffers; a storage's Length stays the length asked for and its array
// may be longer. Arrays leave the pool only through a deterministic release: a dispose scope ending
// (DisposeScope.cs) or the autograd engine freeing a gradient or a backward temporary it no longer needs.
// Storages that are never released are collected by the GC as before.
namespace PluginMoE.Tensors;

/// <summary>A pool of storage arrays keyed by (element type, size class); thread-safe.</summary>
internal static class CachingAllocator
{
    /// <summary>Arrays shorter than this are not pooled: the GC's small-object allocator is cheaper than a pool lookup.</summary>
    internal const int MinPooledLength = 1024;

    private static readonly object Gate = new();
    private static readonly Dictionary<(ScalarType, int), Stack<(Array Data, long Epoch)>> Free = [];
    private static long _pooledBytes, _hits, _misses, _returns, _epoch, _outstandingBytes, _peakBytes;

    /// <summary>Most bytes kept in the pool; arrays returned beyond it are left to the GC. Default: a quarter of the memory the GC may use.</summary>
    internal static long LimitBytes { get; set; } = GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / 4;

    /// <summary>Size classes per power of two (8: classes 12.5% apart).</summary>
    internal const int ClassesPerOctave = 8;

    /// <summary>
    /// The array length that serves a request of <paramref name="length"/> elements: lengths below
    /// <see cref="MinPooledLength"/> as they are, larger ones rounded up to the next multiple of
    /// 2^(floor(log2 length) - 3), so each power-of-two range [2^k, 2^(k+1)) holds 8 classes.
    /// </summary>
    internal static int SizeClass(int length)
    {
        if (length < MinPooledLength) return length;
        int shift = System.Numerics.BitOperations.Log2((uint)length) - System.Numerics.BitOperations.Log2(ClassesPerOctave);
        long step = 1L << shift;
        long rounded = (length + step - 1) & ~(step - 1);
        return rounded <= Array.MaxLength ? (int)rounded : length;
    }

    /// <summary>A storage of <paramref name="length"/> elements, reused from the pool when one is free (contents unspecified).</summary>
    internal static ManagedStorage Allocate(ScalarType dtype, int length)
    {
        if (length >= MinPooledLength)
        {
            int size = SizeClass(length);
            Array? reused = null;
            long bytes = (long)size * dtype.ElementSize();
            lock (Gate)
            {
                if (Free.TryGetValue((dtype, size), out var stack) && stack.Count > 0)
                {
                    reused = stack.Pop().Data;
                    _pooledBytes -= bytes;
                    _hits++;
                }
                else
                {
                    _misses++;
                }
                _outstandingBytes += bytes;
                _peakBytes = Math.Max(_peakBytes, _outstandingBytes + _pooledBytes);
            }
            var s = new ManagedStorage(reused ?? NewArray(dtype, size), dtype, length, pooled: true);
            Allocated(s);
            return s;
        }
        return new ManagedStorage(NewArray(dtype, length), dtype, length, pooled: false);
    }

    [ThreadStatic] private static List<TensorStorage>? t_recorder;

    /// <summary>A releasable storage was just created: the innermost dispose scope owns it, a recording backward pass sees it.</summary>
    internal static void Allocated(TensorStorage s)
    {
        DisposeScope.Track(s);
        t_recorder?.Add(s);
    }

    /// <summary>
    /// Starts recording the releasable storages (pooled, or a backend's) this thread allocates into <paramref name="list"/> (the autograd engine
    /// uses it to tell its own gradient buffers and backward temporaries from everything else); returns the previous list.
    /// </summary>
    internal static List<TensorStorage>? Record(List<TensorStorage>? list)
    {
        var previous = t_recorder;
        t_recorder = list;
        return previous;
    }

    /// <summary>Takes back the array of a released storage (its length is a size class: pooled arrays are allocated at one).</summary>
    internal static void Return(Array data, ScalarType dtype)
    {
        long bytes = (long)data.Length * dtype.ElementSize();
        lock (Gate)
        {
            _returns++;
            _outstandingBytes -= bytes;
            if (_pooledBytes + bytes > LimitBytes) return;
            if (!Free.TryGetValue((dtype, data.Length), out var stack)) Free[(dtype, data.Length)] = stack = new Stack<(Array, long)>();
            stack.Push((data, _epoch));
            _pooledBytes += bytes;
        }
    }

    /// <summary>
    /// Marks the end of a step (an outermost dispose scope ended) and drops the arrays that were returned before the
    /// previous step and not reused since: shapes that vary from step to step (tokens per expert in an MoE layer)
    /// would otherwise fill the pool with lengths that never come again.
    /// </summary>
    internal static void EndOfStep()
    {
        lock (Gate)
        {
            long keepFrom = _epoch++;
            List<(ScalarType, int)>? empty = null;
            foreach (var (key, stack) in Free)
            {
                if (stack.Count == 0 || stack.Peek().Epoch >= keepFrom && Oldest(stack) >= keepFrom) continue;
                var kept = stack.Where(e => e.Epoch >= keepFrom).Reverse().ToArray();
                _pooledBytes -= (long)(stack.Count - kept.Length) * key.Item2 * key.Item1.ElementSize();
                stack.Clear();
                foreach (var e in kept) stack.Push(e);
                if (stack.Count == 0) (empty ??= []).Add(key);
            }
            if (empty is not null) foreach (var key in empty) Free.Remove(key);
        }

        static long Oldest(Stack<(Array Data, long Epoch)> stack)
        {
            long min = long.MaxValue;
            foreach (var e in stack) min = Math.Min(min, e.Epoch);
            return min;
        }
    }

    /// <summary>Drops every pooled array (PyTorch's <c>empty_cache</c>); live tensors are not affected.</summary>
    internal static void EmptyCache()
    {
        lock (Gate)
        {
            Free.Clear();
            _pooledBytes = 0;
        }
    }

    /// <summary>Number of free arrays in the pool that would serve a request of this type and length (its size class).</summary>
    internal static int FreeCount(ScalarType dtype, int length)
    {
        lock (Gate) return Free.TryGetValue((dtype, SizeClass(length)), out var stack) ? stack.Count : 0;
    }

    /// <summary>Counters since start: requests served from the pool, requests that allocated, arrays returned, bytes held now.</summary>
    internal static (long Hits, long Misses, long Returns, long PooledBytes) Stats
    {
        get { lock (Gate) return (_hits, _misses, _returns, _pooledBytes); }
    }

    /// <summary>
    /// Byte counters (size-class bytes): <c>Outstanding</c>, pooled arrays handed out and not released (live tensors, plus
    /// any whose storage was dropped without a release and is left to the GC); <c>Pooled</c>, free arrays the pool keeps;
    /// <c>Peak</c>, the most that Outstanding + Pooled has been since start or the last <see cref="ResetPeak"/>.
    /// </summary>
    internal static (long Outstanding, long Pooled, long Peak) Bytes
    {
        get { lock (Gate) return (_outstandingBytes, _pooledBytes, _peakBytes); }
    }

    /// <summary>Starts a new high-water mark at the current Outstanding + Pooled bytes.</summary>
    internal static void ResetPeak()
    {
        lock (Gate) _peakBytes = _outstandingBytes + _pooledBytes;
    }

    private static Array NewArray(ScalarType dtype, int length) => dtype switch
    {
        ScalarType.Float32 => GC.AllocateUninitializedArray<float>(length),
        ScalarType.Float64 => GC.AllocateUninitializedArray<double>(length),
        ScalarType.Int64 => GC.AllocateUninitializedArray<long>(length),
        ScalarType.Int32 => GC.AllocateUninitializedArray<int>(length),
        ScalarType.Bool => new bool[length],
        ScalarType.Float16 => GC.AllocateUninitializedArray<Half>(length),
        ScalarType.BFloat16 => GC.AllocateUninitializedArray<BFloat16>(length),
        _ => throw new ArgumentOutOfRangeException(nameof(dtype)),
    };
}
