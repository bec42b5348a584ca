// Thread-local gradient recording switch (PyTorch's no_grad / enable_grad).
namespace PluginMoE.Tensors.Autograd;

/// <summary>Whether ops on this thread record autograd history.</summary>
public static class GradMode
{
    [ThreadStatic] private static bool _disabled;

    /// <summary>True when ops record history (the default).</summary>
    public static bool Enabled => !_disabled;

    /// <summary>Sets the mode and returns a scope that restores the previous one.</summary>
    public static IDisposable Set(bool enabled)
    {
        var scope = new Scope(!_disabled);
        _disabled = !enabled;
        return scope;
    }

    private sealed class Scope(bool previous) : IDisposable
    {
        private bool _done;

        public void Dispose()
        {
            if (_done) return;
            _done = true;
            _disabled = !previous;
        }
    }
}
