// nn.ModuleList: an indexable list of submodules registered as children "0", "1", ... (re-numbered on edits).
using System.Collections;

namespace PluginMoE.Tensors;

public static partial class torch
{
    public static partial class nn
    {
        /// <summary>
        /// A list of submodules (PyTorch's <c>torch.nn.ModuleList</c>) whose parameters belong to the owner.
        /// Item i is registered under the name <c>i</c>; inserting or removing renumbers the names.
        /// </summary>
        /// <typeparam name="T">Element module type.</typeparam>
        public class ModuleList<T> : Module, IList<T>, IReadOnlyList<T> where T : Module
        {
            private readonly List<T> _items = new();

            /// <summary>Creates the list holding <paramref name="modules"/>.</summary>
            public ModuleList(params IEnumerable<T> modules)
            {
                ArgumentNullException.ThrowIfNull(modules);
                foreach (var m in modules) Add(m);
            }

            private void Renumber()
            {
                ClearModules();
                for (int i = 0; i < _items.Count; i++) register_module(i.ToString(System.Globalization.CultureInfo.InvariantCulture), _items[i]);
            }

            /// <summary>The module at <paramref name="index"/> (negative counts from the end).</summary>
            public T this[int index]
            {
                get => _items[Wrap(index)];
                set
                {
                    ArgumentNullException.ThrowIfNull(value);
                    int i = Wrap(index);
                    _items[i] = value;
                    register_module(i.ToString(System.Globalization.CultureInfo.InvariantCulture), value);
                }
            }

            private int Wrap(int index)
            {
                int i = index < 0 ? index + _items.Count : index;
                if (i < 0 || i >= _items.Count)
                    throw new ArgumentOutOfRangeException(nameof(index), index, $"ModuleList: index {index} is out of range for a list of {_items.Count} modules");
                return i;
            }

            /// <summary>Number of modules.</summary>
            public int Count => _items.Count;

            /// <summary>Always false.</summary>
            public bool IsReadOnly => false;

            /// <summary>Appends a module.</summary>
            public void Add(T item)
            {
                ArgumentNullException.ThrowIfNull(item);
                _items.Add(item);
                register_module((_items.Count - 1).ToString(System.Globalization.CultureInfo.InvariantCulture), item);
            }

            /// <summary>Appends a module and returns this list (PyTorch's <c>append</c>).</summary>
            public ModuleList<T> append(T item)
            {
                Add(item);
                return this;
            }

            /// <summary>Appends several modules and returns this list (PyTorch's <c>extend</c>).</summary>
            public ModuleList<T> extend(IEnumerable<T> items)
            {
                ArgumentNullException.ThrowIfNull(items);
                foreach (var m in items) Add(m);
                return this;
            }

            /// <summary>Inserts a module before <paramref name="index"/>.</summary>
            public void Insert(int index, T item)
            {
                ArgumentNullException.ThrowIfNull(item);
                _items.Insert(index, item);
                Renumber();
            }

            /// <summary>Removes the module at <paramref name="index"/>.</summary>
            public void RemoveAt(int index)
            {
                _items.RemoveAt(Wrap(index));
                Renumber();
            }

            /// <summary>Removes a module; false when absent.</summary>
            public bool Remove(T item)
            {
                int i = IndexOf(item);
                if (i < 0) return false;
                RemoveAt(i);
                return true;
            }

            /// <summary>Removes every module.</summary>
            public void Clear()
            {
                _items.Clear();
                ClearModules();
            }

            /// <summary>Position of <paramref name="item"/> (by reference), or -1.</summary>
            public int IndexOf(T item) => _items.FindIndex(m => ReferenceEquals(m, item));

            /// <summary>Whether the list holds <paramref name="item"/> (by reference).</summary>
            public bool Contains(T item) => IndexOf(item) >= 0;

            /// <summary>Copies the modules into <paramref name="array"/>.</summary>
            public void CopyTo(T[] array, int arrayIndex) => _items.CopyTo(array, arrayIndex);

            /// <summary>Enumerates the modules in order.</summary>
            public IEnumerator<T> GetEnumerator() => _items.GetEnumerator();

            IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
        }

        /// <summary>A list of modules of any type (PyTorch's <c>torch.nn.ModuleList</c>).</summary>
        public sealed class ModuleList : ModuleList<Module>
        {
            /// <summary>Creates the list holding <paramref name="modules"/>.</summary>
            public ModuleList(params IEnumerable<Module> modules) : base(modules) { }
        }
    }
}
