// Dispose scopes, as TorchSharp users know them: every tensor storage allocated while a scope is the innermost
// one on this thread belongs to it and goes back to the caching allocator when the scope is disposed, unless it
// was moved to the outer scope or detached first. Parameters, optimizer state and the gradients that backward()
// leaves in .grad detach themselves.
namespace PluginMoE.Tensors;

/// <summary>
/// Releases the memory of the tensors created inside it when disposed (TorchSharp's <c>DisposeScope</c>):
/// <code>
/// using (var scope = torch.NewDisposeScope())
/// {
///     var loss = model.forward(x).sum();
///     loss.backward();
///     optimizer.step();
///     total += loss.item&lt;float&gt;();
/// }   // every intermediate tensor's buffer returns to the pool here
/// </code>
/// A tensor that must outlive the scope is kept with <see cref="MoveToOuter"/> or <see cref="Detach"/>;
/// using a released tensor throws <see cref="InvalidOperationException"/>, it never shows another tensor's data.
/// Scopes nest per thread and must be disposed innermost first.
/// </summary>
public sealed class DisposeScope : IDisposable
{
    [ThreadStatic] private static DisposeScope? t_current;

    private readonly DisposeScope? _outer;
    private readonly HashSet<TensorStorage> _owned = new(ReferenceEqualityComparer.Instance);
    private bool _disposed;

    internal DisposeScope()
    {
        _outer = t_current;
        t_current = this;
    }

    /// <summary>The innermost scope of this thread, or null.</summary>
    internal static DisposeScope? Current => t_current;

    /// <summary>Number of storages this scope would release now.</summary>
    public int Count => _owned.Count;

    /// <summary>Hands a new releasable storage (pooled, or a backend's) to the innermost scope, if any.</summary>
    internal static void Track(TensorStorage s)
    {
        if (t_current is not { } scope) return;
        scope._owned.Add(s);
        s.Scope = scope;
    }

    /// <summary>Keeps <paramref name="tensor"/>'s memory alive past this scope: the outer scope (if any) releases it instead.</summary>
    /// <returns>The same tensor.</returns>
    public Tensor MoveToOuter(Tensor tensor)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        if (tensor.Storage is { } s && ReferenceEquals(s.Scope, this))
        {
            _owned.Remove(s);
            s.Scope = null;
            if (_outer is { _disposed: false } outer)
            {
                outer._owned.Add(s);
                s.Scope = outer;
            }
        }
        return tensor;
    }

    /// <summary>Takes <paramref name="tensor"/>'s memory out of every scope: only the GC frees it.</summary>
    /// <returns>The same tensor.</returns>
    public static Tensor Detach(Tensor tensor)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        DetachStorage(tensor.Storage);
        return tensor;
    }

    internal static void DetachStorage(TensorStorage storage)
    {
        if (storage is { Scope: { } scope } s)
        {
            scope._owned.Remove(s);
            s.Scope = null;
        }
    }

    /// <summary>Drops a storage that was released before the scope ended.</summary>
    internal void Forget(TensorStorage s)
    {
        if (!_disposed) _owned.Remove(s);
    }

    /// <summary>Releases every storage that still belongs to this scope and makes the outer scope current again.</summary>
    /// <exception cref="InvalidOperationException">An inner scope of this thread is still open.</exception>
    public void Dispose()
    {
        if (_disposed) return;
        if (!ReferenceEquals(t_current, this))
            throw new InvalidOperationException("DisposeScope: scopes must be disposed innermost first, on the thread that created them; an inner scope is still open");
        _disposed = true;
        t_current = _outer;
        var owned = _owned.ToArray();
        _owned.Clear();
        foreach (var s in owned) s.Release();
        if (_outer is null) CachingAllocator.EndOfStep();
    }
}

public static partial class torch
{
    /// <summary>Opens a <see cref="DisposeScope"/> on this thread (TorchSharp's <c>torch.NewDisposeScope()</c>).</summary>
    public static DisposeScope NewDisposeScope() => new();
}

public partial class Tensor
{
    /// <summary>Moves this tensor's memory from its dispose scope to the enclosing one (kept when there is none).</summary>
    /// <returns>This tensor.</returns>
    public Tensor MoveToOuterDisposeScope()
    {
        if (Storage.Scope is { } scope) scope.MoveToOuter(this);
        return this;
    }

    /// <summary>Takes this tensor's memory out of every dispose scope, so that no scope releases it.</summary>
    /// <returns>This tensor.</returns>
    public Tensor DetachFromDisposeScope() => DisposeScope.Detach(this);
}
