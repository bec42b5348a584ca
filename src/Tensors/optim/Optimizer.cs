// The optimizer base: parameter groups with per-group options, per-parameter state, zero_grad, and the
// state_dict / load_state_dict pair that captures everything needed to resume bitwise.
using System.Globalization;

namespace PluginMoE.Tensors;

public static partial class torch
{
    public static partial class optim
    {
        /// <summary>Per-parameter optimizer state: the step count and named state tensors (e.g. <c>exp_avg</c>).</summary>
        public sealed class ParamState
        {
            /// <summary>Number of updates applied to this parameter.</summary>
            public long step { get; set; }

            /// <summary>State tensors by name, each contiguous and shaped like the parameter.</summary>
            public Dictionary<string, Tensor> tensors { get; } = new();
        }

        /// <summary>Base class of optimizers (PyTorch's <c>torch.optim.Optimizer</c>).</summary>
        public abstract class Optimizer
        {
            private readonly List<ParamGroup> _groups = new();
            private readonly Dictionary<Tensor, ParamState> _state = new(ReferenceEqualityComparer.Instance);

            /// <summary>Creates the optimizer over <paramref name="groups"/>, filling unset options from <paramref name="defaults"/>.</summary>
            protected Optimizer(IEnumerable<ParamGroup> groups, IReadOnlyDictionary<string, double> defaults)
            {
                ArgumentNullException.ThrowIfNull(groups);
                ArgumentNullException.ThrowIfNull(defaults);
                this.defaults = new Dictionary<string, double>(defaults);
                foreach (var g in groups) add_param_group(g);
                if (_groups.Count == 0) throw new ArgumentException($"{GetType().Name}: got an empty parameter list");
            }

            /// <summary>Default options for groups that do not set them.</summary>
            public IReadOnlyDictionary<string, double> defaults { get; }

            /// <summary>The parameter groups, in order.</summary>
            public IReadOnlyList<ParamGroup> param_groups => _groups;

            /// <summary>Per-parameter state (parameters that have been stepped at least once).</summary>
            public IReadOnlyDictionary<Tensor, ParamState> state => _state;

            /// <summary>Adds a group, filling its unset options from <see cref="defaults"/> and checking them.</summary>
            /// <exception cref="ArgumentException">Unknown option, a bad value, a non-leaf tensor or a parameter already in a group.</exception>
            public void add_param_group(ParamGroup group)
            {
                ArgumentNullException.ThrowIfNull(group);
                foreach (var key in group.options.Keys)
                    if (!defaults.ContainsKey(key) && key != "initial_lr")
                        throw new ArgumentException($"{GetType().Name}: unknown option '{key}' in param group {_groups.Count} (known: {string.Join(", ", defaults.Keys)})");
                foreach (var (k, v) in defaults) group.options.TryAdd(k, v);
                var existing = new HashSet<Tensor>(_groups.SelectMany(g => g.parameters), ReferenceEqualityComparer.Instance);
                for (int i = 0; i < group.parameters.Count; i++)
                {
                    var p = group.parameters[i] ?? throw new ArgumentException($"{GetType().Name}: parameter {i} of param group {_groups.Count} is null");
                    if (!p.is_leaf) throw new ArgumentException($"{GetType().Name}: can't optimize a non-leaf Tensor (parameter {i} of param group {_groups.Count}, grad_fn={p.grad_fn})");
                    if (!existing.Add(p)) throw new ArgumentException($"{GetType().Name}: parameter {i} of param group {_groups.Count} appears in more than one group (or twice)");
                }
                Validate(group, _groups.Count);
                _groups.Add(group);
            }

            /// <summary>Checks a group's options (called when the group is added or loaded).</summary>
            protected abstract void Validate(ParamGroup group, int index);

            /// <summary>Applies one update to every parameter that has a gradient.</summary>
            public abstract void step();

            /// <summary>
            /// Clears the gradients of all parameters. With <paramref name="set_to_none"/> the gradient buffers that backward
            /// made go back to the caching allocator (the next backward reuses them, so a training step allocates no new
            /// gradient memory): a reference to an old <c>.grad</c> kept across this call throws on use; clone() it first
            /// to keep it. A tensor you assigned to <c>.grad</c> yourself is only dropped.
            /// </summary>
            /// <param name="set_to_none">Drop the gradient tensors (the default) rather than filling them with zeros.</param>
            public void zero_grad(bool set_to_none = true)
            {
                foreach (var p in _groups.SelectMany(g => g.parameters))
                {
                    if (p.grad is null) continue;
                    if (set_to_none) Autograd.Engine.DropGrad(p);
                    else using (no_grad()) p.grad.zero_();
                }
                if (Autograd.OpProfile.Enabled) Autograd.OpProfile.ChargeSinceMark("optim:zero_grad (and all since the last mark)");
            }

            /// <summary>The state of <paramref name="p"/>, created empty on first use.</summary>
            protected ParamState StateOf(Tensor p)
            {
                if (!_state.TryGetValue(p, out var s)) _state[p] = s = new ParamState();
                return s;
            }

            /// <summary>A contiguous state tensor of zeros shaped and typed like <paramref name="p"/>.</summary>
            protected static Tensor ZerosLike(Tensor p) => Tensor.Zeros(p.dtype, (int[])p.Sizes.Clone(), p.device).DetachFromDisposeScope();

            /// <summary>
            /// Runs an in-place update kernel on (param, grad): both contiguous and of the parameter's type; a strided
            /// parameter is updated through a contiguous copy that is written back.
            /// </summary>
            protected static void Update(Tensor p, Action<Tensor, Tensor> kernel)
            {
                if (p.dtype is not (ScalarType.Float32 or ScalarType.Float64))
                    throw new NotSupportedException($"optimizer step: parameters of type {p.dtype.TorchName()} are not supported (float32 and float64 are)");
                var g = p.grad!.detach();
                if (!Shape.Equal(g.Sizes, p.Sizes))
                    throw new InvalidOperationException($"optimizer step: gradient shape {Shape.Format(g.Sizes)} differs from parameter shape {Shape.Format(p.Sizes)}");
                if (g.dtype != p.dtype) g = g.to(p.dtype);
                g = g.contiguous();
                p.Storage.BumpVersion("optimizer.step"); // as PyTorch's in-place update does: caches of p see the write
                if (p.is_contiguous())
                {
                    kernel(p.detach(), g);
                    return;
                }
                var c = p.detach().contiguous();
                kernel(c, g);
                using (no_grad()) p.detach().copy_(c);
            }

            // ------------------------------------------------------------ save and resume

            /// <summary>The state to save: per-parameter tensors plus group settings (see <see cref="OptimizerStateDict"/>).</summary>
            public OptimizerStateDict state_dict()
            {
                var tensors = new OrderedDictionary<string, Tensor>();
                var groups = new List<ParamGroupMetadata>();
                int index = 0;
                foreach (var g in _groups)
                {
                    var ids = new List<int>();
                    foreach (var p in g.parameters)
                    {
                        if (_state.TryGetValue(p, out var s))
                        {
                            string prefix = "state." + index.ToString(CultureInfo.InvariantCulture) + ".";
                            tensors[prefix + "step"] = Tensor.Wrap(new[] { s.step }, []);
                            foreach (var (name, t) in s.tensors) tensors[prefix + name] = t.detach();
                        }
                        ids.Add(index++);
                    }
                    groups.Add(new ParamGroupMetadata(ids, new Dictionary<string, double>(g.options), g.name));
                }
                return new OptimizerStateDict(tensors, new OptimizerMetadata(GetType().Name, groups));
            }

            /// <summary>
            /// Restores a state saved by <see cref="state_dict"/> of the same optimizer type over parameters of the
            /// same shapes in the same group layout: hyperparameters are replaced and state tensors are copied
            /// (converted to each parameter's type). Everything is checked before anything changes.
            /// </summary>
            /// <exception cref="ArgumentException">The optimizer type, group layout, keys or shapes do not match; the message lists every problem.</exception>
            public void load_state_dict(OptimizerStateDict state_dict)
            {
                ArgumentNullException.ThrowIfNull(state_dict);
                var meta = state_dict.metadata;
                string me = GetType().Name;
                if (meta.optimizer != me)
                    throw new ArgumentException($"{me}.load_state_dict: the state was saved by {meta.optimizer}, not {me}");
                if (meta.param_groups.Count != _groups.Count)
                    throw new ArgumentException($"{me}.load_state_dict: the state has {meta.param_groups.Count} param groups, the optimizer has {_groups.Count}");
                var errors = new List<string>();
                for (int i = 0; i < _groups.Count; i++)
                    if (meta.param_groups[i].@params.Count != _groups[i].parameters.Count)
                        errors.Add($"param group {i} has {meta.param_groups[i].@params.Count} parameters in the state, {_groups[i].parameters.Count} in the optimizer");
                if (errors.Count > 0) throw new ArgumentException($"{me}.load_state_dict: " + string.Join("; ", errors));

                var byIndex = new Dictionary<int, Tensor>();
                for (int gi = 0; gi < _groups.Count; gi++)
                    for (int k = 0; k < _groups[gi].parameters.Count; k++) byIndex[meta.param_groups[gi].@params[k]] = _groups[gi].parameters[k];

                var loaded = new Dictionary<Tensor, ParamState>(ReferenceEqualityComparer.Instance);
                foreach (var (key, t) in state_dict.tensors)
                {
                    var parts = key.Split('.');
                    if (parts.Length != 3 || parts[0] != "state" || !int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out int idx) || !byIndex.TryGetValue(idx, out var p))
                    {
                        errors.Add($"unexpected key \"{key}\" (expected state.{{parameter index}}.{{name}} with an index below {byIndex.Count})");
                        continue;
                    }
                    if (!loaded.TryGetValue(p, out var s)) loaded[p] = s = new ParamState();
                    if (parts[2] == "step")
                    {
                        if (t.numel() != 1) errors.Add($"\"{key}\" must hold one number, has shape {Shape.Format(t.Sizes)}");
                        else s.step = t.ToInt64();
                    }
                    else if (!Shape.Equal(t.Sizes, p.Sizes))
                        errors.Add($"size mismatch for {key}: state has {Shape.Format(t.Sizes)}, parameter has {Shape.Format(p.Sizes)}");
                    else
                        s.tensors[parts[2]] = t.detach().to(p.dtype).contiguous().clone().DetachFromDisposeScope();
                }
                if (errors.Count > 0) throw new ArgumentException($"{me}.load_state_dict: " + string.Join("; ", errors));

                var backup = _groups.Select(g => new Dictionary<string, double>(g.options)).ToList();
                for (int i = 0; i < _groups.Count; i++)
                {
                    _groups[i].options.Clear();
                    foreach (var (k, v) in meta.param_groups[i].options) _groups[i].options[k] = v;
                    try { Validate(_groups[i], i); }
                    catch
                    {
                        for (int j = 0; j <= i; j++)
                        {
                            _groups[j].options.Clear();
                            foreach (var (k, v) in backup[j]) _groups[j].options[k] = v;
                        }
                        throw;
                    }
                }
                _state.Clear();
                foreach (var (p, s) in loaded) _state[p] = s;
            }
        }
    }
}
