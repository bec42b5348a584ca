// nn.Module state: state_dict (parameters and persistent buffers by dotted name) and load_state_dict,
// which validates every key and shape before copying anything, so a failed load leaves the model unchanged.
namespace PluginMoE.Tensors;

public static partial class torch
{
    public static partial class nn
    {
        /// <summary>Keys that <see cref="Module.load_state_dict"/> found missing or unexpected (only non-empty when not strict).</summary>
        /// <param name="missing_keys">Model entries the checkpoint lacks (left unchanged).</param>
        /// <param name="unexpected_keys">Checkpoint entries the model has no place for (ignored).</param>
        public sealed record LoadStateDictResult(IReadOnlyList<string> missing_keys, IReadOnlyList<string> unexpected_keys);

        public abstract partial class Module
        {
            /// <summary>
            /// The module's state: every parameter and persistent buffer under its dotted name, this module's
            /// parameters first, then its buffers, then each child's state (a tied parameter appears under each of
            /// its names). Values are detached tensors sharing storage with the model (clone them for a snapshot).
            /// </summary>
            public OrderedDictionary<string, Tensor> state_dict()
            {
                var d = new OrderedDictionary<string, Tensor>();
                CollectState(d, "", new HashSet<Module>(ReferenceEqualityComparer.Instance));
                return d;
            }

            private void CollectState(OrderedDictionary<string, Tensor> d, string prefix, HashSet<Module> path)
            {
                if (!path.Add(this)) return; // guards against cycles
                foreach (var kv in _parameters)
                    if (kv.Value is { } p) d[prefix + kv.Key] = p.detach();
                foreach (var kv in _buffers)
                    if (kv.Value is { } b && !_nonPersistent.Contains(kv.Key)) d[prefix + kv.Key] = b.detach();
                foreach (var kv in _modules)
                    kv.Value?.CollectState(d, prefix + kv.Key + ".", path);
                path.Remove(this);
            }

            /// <summary>
            /// Copies values from <paramref name="state"/> into this module's parameters and persistent buffers, in
            /// place and without recording gradients, converting element types as needed. Every key and shape is
            /// checked first; on any error nothing is copied.
            /// </summary>
            /// <param name="state">Tensors by dotted name, e.g. from <see cref="state_dict"/> or a safetensors file.</param>
            /// <param name="strict">Require the keys to match exactly (missing and unexpected keys are errors).</param>
            /// <returns>The missing and unexpected keys (both empty when <paramref name="strict"/> succeeded).</returns>
            /// <exception cref="ArgumentException">
            /// Shapes differ, or (when strict) keys are missing or unexpected. The message lists every problem at once.
            /// </exception>
            public LoadStateDictResult load_state_dict(IReadOnlyDictionary<string, Tensor> state, bool strict = true)
            {
                ArgumentNullException.ThrowIfNull(state);
                var own = state_dict();
                var missing = own.Keys.Where(k => !state.ContainsKey(k)).ToList();
                var unexpected = state.Keys.Where(k => !own.ContainsKey(k)).ToList();
                var mismatches = new List<string>();
                foreach (var (key, target) in own)
                {
                    if (!state.TryGetValue(key, out var src)) continue;
                    if (src is null)
                        mismatches.Add($"value for {key} is null");
                    else if (!Shape.Equal(src.Sizes, target.Sizes))
                        mismatches.Add($"size mismatch for {key}: checkpoint has {Shape.Format(src.Sizes)}, model has {Shape.Format(target.Sizes)}");
                }

                var errors = new List<string>();
                if (strict && missing.Count > 0) errors.Add("Missing key(s) in state_dict: " + string.Join(", ", missing.Select(k => $"\"{k}\"")) + ".");
                if (strict && unexpected.Count > 0) errors.Add("Unexpected key(s) in state_dict: " + string.Join(", ", unexpected.Select(k => $"\"{k}\"")) + ".");
                errors.AddRange(mismatches);
                if (errors.Count > 0)
                    throw new ArgumentException(
                        $"Error(s) in loading state_dict for {TypeName(GetType())}:\n\t" + string.Join("\n\t", errors) +
                        (strict && (missing.Count > 0 || unexpected.Count > 0) ? "\n(pass strict: false to load the matching keys only)" : ""),
                        nameof(state));

                using (no_grad())
                {
                    foreach (var (key, target) in own)
                        if (state.TryGetValue(key, out var src)) target.copy_(src);
                }
                return new LoadStateDictResult(missing, unexpected);
            }
        }
    }
}
