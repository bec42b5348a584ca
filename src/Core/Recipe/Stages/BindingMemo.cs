// Plugin lookups and option bindings remembered per plugin provider: a stage's start check and its run (and the other
// stages of the invocation) bind the same settings once. Only immutable results are remembered (bound options, plans,
// the problems found); instances that may hold state, such as tokenizers, are created by each caller.
using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using PluginMoE.Core.Recipe.Services;

namespace PluginMoE.Core.Recipe.Stages;

/// <summary>Results of binding, per plugin provider (held weakly) and per key (what they were bound from).</summary>
internal static class BindingMemo
{
    private static readonly ConditionalWeakTable<IPluginProvider, ConcurrentDictionary<string, object>> Memo = new();

    /// <summary>The result remembered for <paramref name="key"/> under <paramref name="plugins"/>, else <paramref name="bind"/>'s, remembered when it returns (a failure is not).</summary>
    public static T GetOrAdd<T>(IPluginProvider plugins, string key, Func<T> bind) where T : class
    {
        var memo = Memo.GetOrCreateValue(plugins);
        if (memo.TryGetValue(key, out var done)) return (T)done;
        var value = bind();
        return (T)memo.GetOrAdd(key, value);
    }
}
