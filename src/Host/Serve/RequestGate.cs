// Admission of model requests: up to MaxConcurrent run, up to MaxQueue wait in arrival order, the rest get 429.
namespace PluginMoE.Host.Serve;

/// <summary>Bounds the model work in flight.</summary>
public sealed class RequestGate : IDisposable
{
    private readonly SemaphoreSlim _slots;
    private readonly int _bound;
    private int _admitted;

    /// <summary>Creates the gate for <paramref name="limits"/>.</summary>
    public RequestGate(ServeLimits limits)
    {
        ArgumentNullException.ThrowIfNull(limits);
        _slots = new SemaphoreSlim(limits.MaxConcurrent, limits.MaxConcurrent);
        _bound = limits.MaxConcurrent + limits.MaxQueue;
        Limits = limits;
    }

    /// <summary>The limits.</summary>
    public ServeLimits Limits { get; }

    /// <summary>Requests running or waiting now.</summary>
    public int InFlight => Volatile.Read(ref _admitted);

    /// <summary>Waits for a slot; the returned lease frees it. Throws a 429 <see cref="ApiException"/> when the queue is full.</summary>
    public async Task<IDisposable> EnterAsync(CancellationToken cancellationToken)
    {
        if (Interlocked.Increment(ref _admitted) > _bound)
        {
            Interlocked.Decrement(ref _admitted);
            throw new ApiException(429, $"the server is busy: {Limits.MaxConcurrent} model request(s) are running and {Limits.MaxQueue} waiting; retry later", type: "rate_limit_error");
        }
        try
        {
            await _slots.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            Interlocked.Decrement(ref _admitted);
            throw;
        }
        return new Lease(this);
    }

    /// <inheritdoc/>
    public void Dispose() => _slots.Dispose();

    private sealed class Lease(RequestGate gate) : IDisposable
    {
        private int _done;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _done, 1) != 0) return;
            gate._slots.Release();
            Interlocked.Decrement(ref gate._admitted);
        }
    }
}
