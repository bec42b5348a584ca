// nn.ModuleDict: an ordered name -> submodule map whose entries are registered as children.
using System.Collections;
using System.Diagnostics.CodeAnalysis;

namespace PluginMoE.Tensors;

public static partial class torch
{
    public static partial class nn
    {
        /// <summary>An ordered dictionary of submodules (PyTorch's <c>torch.nn.ModuleDict</c>); keys are child names.</summary>
        /// <typeparam name="T">Element module type.</typeparam>
        public class ModuleDict<T> : Module, IDictionary<string, T>, IReadOnlyDictionary<string, T> where T : Module
        {
            private readonly OrderedDictionary<string, T> _items = new();

            /// <summary>Creates the dictionary holding <paramref name="modules"/> in order.</summary>
            public ModuleDict(params IEnumerable<(string name, T module)> modules)
            {
                ArgumentNullException.ThrowIfNull(modules);
                foreach (var (n, m) in modules) Add(n, m);
            }

            /// <summary>The module named <paramref name="key"/>; setting adds or replaces it.</summary>
            public T this[string key]
            {
                get => _items.TryGetValue(key, out var m) ? m
                    : throw new KeyNotFoundException($"ModuleDict: no module named '{key}' (have: {string.Join(", ", _items.Keys)})");
                set
                {
                    ArgumentNullException.ThrowIfNull(value);
                    register_module(key, value);
                    _items[key] = value;
                }
            }

            /// <summary>The names, in order.</summary>
            public ICollection<string> Keys => _items.Keys;

            /// <summary>The modules, in order.</summary>
            public ICollection<T> Values => _items.Values;

            IEnumerable<string> IReadOnlyDictionary<string, T>.Keys => _items.Keys;

            IEnumerable<T> IReadOnlyDictionary<string, T>.Values => _items.Values;

            /// <summary>Number of modules.</summary>
            public int Count => _items.Count;

            /// <summary>Always false.</summary>
            public bool IsReadOnly => false;

            /// <summary>Adds a module under a new name.</summary>
            /// <exception cref="ArgumentException">The name is already present.</exception>
            public void Add(string key, T value)
            {
                ArgumentNullException.ThrowIfNull(value);
                if (_items.ContainsKey(key)) throw new ArgumentException($"ModuleDict: a module named '{key}' already exists", nameof(key));
                this[key] = value;
            }

            /// <summary>Adds a module under a new name.</summary>
            public void Add(KeyValuePair<string, T> item) => Add(item.Key, item.Value);

            /// <summary>Removes every module.</summary>
            public void Clear()
            {
                _items.Clear();
                ClearModules();
            }

            /// <summary>Whether <paramref name="item"/> is present under its key.</summary>
            public bool Contains(KeyValuePair<string, T> item) => _items.TryGetValue(item.Key, out var m) && ReferenceEquals(m, item.Value);

            /// <summary>Whether a module is named <paramref name="key"/>.</summary>
            public bool ContainsKey(string key) => _items.ContainsKey(key);

            /// <summary>Copies the entries into <paramref name="array"/>.</summary>
            public void CopyTo(KeyValuePair<string, T>[] array, int arrayIndex) => ((ICollection<KeyValuePair<string, T>>)_items).CopyTo(array, arrayIndex);

            /// <summary>Removes the module named <paramref name="key"/>; false when absent.</summary>
            public bool Remove(string key)
            {
                if (!_items.Remove(key)) return false;
                ClearModules();
                foreach (var kv in _items) register_module(kv.Key, kv.Value);
                return true;
            }

            /// <summary>Removes <paramref name="item"/> when present under its key.</summary>
            public bool Remove(KeyValuePair<string, T> item) => Contains(item) && Remove(item.Key);

            /// <summary>Looks a module up by name.</summary>
            public bool TryGetValue(string key, [MaybeNullWhen(false)] out T value) => _items.TryGetValue(key, out value);

            /// <summary>Enumerates (name, module) pairs in order.</summary>
            public IEnumerator<KeyValuePair<string, T>> GetEnumerator() => _items.GetEnumerator();

            IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
        }

        /// <summary>A dictionary of modules of any type (PyTorch's <c>torch.nn.ModuleDict</c>).</summary>
        public sealed class ModuleDict : ModuleDict<Module>
        {
            /// <summary>Creates the dictionary holding <paramref name="modules"/> in order.</summary>
            public ModuleDict(params IEnumerable<(string name, Module module)> modules) : base(modules) { }
        }
    }
}
