// nn.Module: the base of every layer. Owns named parameters, buffers and child modules in registration
// order and walks them (named_parameters, state_dict, train/eval) like PyTorch's torch.nn.Module.
using System.Reflection;
using System.Text;

namespace PluginMoE.Tensors;

public static partial class torch
{
    public static partial class nn
    {
        /// <summary>
        /// Base class for layers and models (PyTorch's <c>torch.nn.Module</c>). A module registers its
        /// parameters, buffers and submodules by name; names of nested members are dotted paths
        /// (<c>layers.0.weight</c>) in registration order.
        /// </summary>
        public abstract partial class Module
        {
            private readonly OrderedDictionary<string, Parameter?> _parameters = new();
            private readonly OrderedDictionary<string, Tensor?> _buffers = new();
            private readonly HashSet<string> _nonPersistent = new();
            private readonly OrderedDictionary<string, Module?> _modules = new();

            /// <summary>True in training mode (the default), false after <see cref="eval"/>.</summary>
            public bool training { get; private set; } = true;

            // ------------------------------------------------------------ registration

            /// <summary>Adds (or replaces) a parameter; null registers the name with no value (e.g. an absent bias).</summary>
            /// <exception cref="ArgumentException">The name is empty, contains '.', or is taken by a buffer or submodule.</exception>
            public void register_parameter(string name, Parameter? param)
            {
                CheckName(name, "register_parameter", _parameters);
                _parameters[name] = param;
            }

            /// <summary>
            /// Adds (or replaces) a buffer: state that is not trained (e.g. running statistics, rotary tables).
            /// Persistent buffers are part of <see cref="state_dict"/>.
            /// </summary>
            public void register_buffer(string name, Tensor? tensor, bool persistent = true)
            {
                CheckName(name, "register_buffer", _buffers);
                _buffers[name] = tensor;
                if (persistent) _nonPersistent.Remove(name);
                else _nonPersistent.Add(name);
            }

            /// <summary>Adds (or replaces) a child module.</summary>
            public void register_module(string name, Module? module)
            {
                CheckName(name, "register_module", _modules);
                if (ReferenceEquals(module, this)) throw new ArgumentException($"register_module: module '{name}' cannot be its own child");
                _modules[name] = module;
            }

            /// <summary>Removes every child module (containers re-register theirs after an edit).</summary>
            internal void ClearModules() => _modules.Clear();

            private void CheckName<TV>(string name, string op, OrderedDictionary<string, TV> own)
            {
                ArgumentNullException.ThrowIfNull(name);
                if (name.Length == 0) throw new ArgumentException($"{op}: the name must not be empty", nameof(name));
                if (name.Contains('.')) throw new ArgumentException($"{op}: name '{name}' must not contain '.' (dots separate nested names)", nameof(name));
                bool taken = (!ReferenceEquals(own, _parameters) && _parameters.ContainsKey(name))
                    || (!ReferenceEquals(own, _buffers) && _buffers.ContainsKey(name))
                    || (!ReferenceEquals(own, _modules) && _modules.ContainsKey(name));
                if (taken) throw new ArgumentException($"{op}: attribute '{name}' already exists on {TypeName(GetType())} as another kind of member", nameof(name));
            }

            /// <summary>
            /// Registers, by reflection, every field of type <see cref="Parameter"/> or <see cref="Module"/>
            /// (including <c>ModuleList</c>/<c>ModuleDict</c>) declared on this object's class and its bases,
            /// base-class fields first, in declaration order. The name is the field name without leading
            /// underscores (an auto-property's name for its backing field). Null fields register as absent
            /// parameters/modules; names already registered are left as they are. Call it at the end of the constructor.
            /// </summary>
            protected void RegisterComponents()
            {
                var chain = new List<Type>();
                for (var t = GetType(); t != null && t != typeof(Module); t = t.BaseType) chain.Add(t);
                chain.Reverse();
                foreach (var type in chain)
                {
                    foreach (var f in type.GetFields(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly))
                    {
                        bool isParam = typeof(Parameter).IsAssignableFrom(f.FieldType);
                        bool isModule = typeof(Module).IsAssignableFrom(f.FieldType);
                        if (!isParam && !isModule) continue;
                        var name = MemberName(f.Name);
                        if (_parameters.ContainsKey(name) || _modules.ContainsKey(name) || _buffers.ContainsKey(name)) continue;
                        var value = f.GetValue(this);
                        if (isParam) register_parameter(name, (Parameter?)value);
                        else register_module(name, (Module?)value);
                    }
                }
            }

            private static string MemberName(string field)
            {
                if (field.StartsWith('<'))
                {
                    int end = field.IndexOf('>');
                    if (end > 1) return field[1..end];
                }
                return field.TrimStart('_');
            }

            // ------------------------------------------------------------ traversal

            /// <summary>
            /// Parameters with their dotted names: this module's own first, then each submodule's (depth first).
            /// A parameter or module reachable twice (weight tying) is listed once, under its first name.
            /// </summary>
            public IEnumerable<(string name, Parameter parameter)> named_parameters(bool recurse = true)
            {
                var seen = new HashSet<Tensor>(ReferenceEqualityComparer.Instance);
                foreach (var (prefix, m) in recurse ? named_modules() : [("", this)])
                    foreach (var kv in m._parameters)
                        if (kv.Value is { } p && seen.Add(p)) yield return (Join(prefix, kv.Key), p);
            }

            /// <summary>The parameters, in the order of <see cref="named_parameters"/>.</summary>
            public IEnumerable<Parameter> parameters(bool recurse = true) => named_parameters(recurse).Select(x => x.parameter);

            /// <summary>Buffers with their dotted names (persistent or not), in the order of <see cref="named_parameters"/>.</summary>
            public IEnumerable<(string name, Tensor buffer)> named_buffers(bool recurse = true)
            {
                var seen = new HashSet<Tensor>(ReferenceEqualityComparer.Instance);
                foreach (var (prefix, m) in recurse ? named_modules() : [("", this)])
                    foreach (var kv in m._buffers)
                        if (kv.Value is { } b && seen.Add(b)) yield return (Join(prefix, kv.Key), b);
            }

            /// <summary>The buffers, in the order of <see cref="named_buffers"/>.</summary>
            public IEnumerable<Tensor> buffers(bool recurse = true) => named_buffers(recurse).Select(x => x.buffer);

            /// <summary>Direct submodules with their names, in registration order.</summary>
            public IEnumerable<(string name, Module module)> named_children()
            {
                var seen = new HashSet<Module>(ReferenceEqualityComparer.Instance);
                foreach (var kv in _modules)
                    if (kv.Value is { } m && seen.Add(m)) yield return (kv.Key, m);
            }

            /// <summary>Direct submodules, in registration order.</summary>
            public IEnumerable<Module> children() => named_children().Select(x => x.module);

            /// <summary>This module (name "") and all its descendants, depth first in registration order, each once.</summary>
            public IEnumerable<(string name, Module module)> named_modules()
            {
                var seen = new HashSet<Module>(ReferenceEqualityComparer.Instance);
                var stack = new Stack<(string, Module)>();
                stack.Push(("", this));
                while (stack.Count > 0)
                {
                    var (name, m) = stack.Pop();
                    if (!seen.Add(m)) continue;
                    yield return (name, m);
                    var kids = m._modules.Where(kv => kv.Value != null).ToList();
                    for (int i = kids.Count - 1; i >= 0; i--) stack.Push((Join(name, kids[i].Key), kids[i].Value!));
                }
            }

            /// <summary>This module and all its descendants.</summary>
            public IEnumerable<Module> modules() => named_modules().Select(x => x.module);

            private static string Join(string prefix, string name) => prefix.Length == 0 ? name : prefix + "." + name;

            /// <summary>Number of parameter elements (each shared parameter counted once).</summary>
            /// <param name="only_trainable">Count only parameters that require grad.</param>
            public long num_parameters(bool only_trainable = false) =>
                parameters().Where(p => !only_trainable || p.requires_grad).Sum(p => p.numel());

            // ------------------------------------------------------------ modes and helpers

            /// <summary>Sets training mode on this module and all descendants (affects e.g. Dropout); returns this.</summary>
            public Module train(bool mode = true)
            {
                training = mode;
                foreach (var c in children()) c.train(mode);
                return this;
            }

            /// <summary>Sets evaluation mode (<c>train(false)</c>); returns this.</summary>
            public Module eval() => train(false);

            /// <summary>Clears the gradients of all parameters (as <c>Optimizer.zero_grad</c>: dropped gradient buffers go back to the pool).</summary>
            /// <param name="set_to_none">Drop the gradient tensors (the default) rather than filling them with zeros.</param>
            public void zero_grad(bool set_to_none = true)
            {
                foreach (var p in parameters())
                {
                    if (p.grad is null) continue;
                    if (set_to_none) Autograd.Engine.DropGrad(p);
                    else using (no_grad()) p.grad.zero_();
                }
            }

            /// <summary>Calls <paramref name="fn"/> on every submodule (children first) and then on this module; returns this.</summary>
            public Module apply(Action<Module> fn)
            {
                ArgumentNullException.ThrowIfNull(fn);
                foreach (var c in children()) c.apply(fn);
                fn(this);
                return this;
            }

            // ------------------------------------------------------------ printing

            /// <summary>Extra text shown between the parentheses of this module's line in <see cref="ToString"/> (e.g. sizes).</summary>
            public virtual string extra_repr() => "";

            /// <summary>The module tree, PyTorch style: <c>Name(extra)</c> with indented <c>(child): ...</c> lines.</summary>
            public override string ToString()
            {
                var sb = new StringBuilder();
                sb.Append(TypeName(GetType())).Append('(');
                var kids = _modules.Where(kv => kv.Value != null).ToList();
                var extra = extra_repr();
                if (kids.Count == 0) return sb.Append(extra).Append(')').ToString();
                sb.Append('\n');
                if (extra.Length > 0) sb.Append("  ").Append(extra.Replace("\n", "\n  ")).Append('\n');
                foreach (var kv in kids)
                    sb.Append("  (").Append(kv.Key).Append("): ").Append(kv.Value!.ToString().Replace("\n", "\n  ")).Append('\n');
                return sb.Append(')').ToString();
            }

            private static string TypeName(Type t)
            {
                var n = t.Name;
                int tick = n.IndexOf('`');
                return tick < 0 ? n : n[..tick];
            }
        }
    }
}
