// nn.Sequential: runs its tensor -> tensor children in order, each output feeding the next.
namespace PluginMoE.Tensors;

public static partial class torch
{
    public static partial class nn
    {
        /// <summary>A chain of tensor modules (PyTorch's <c>torch.nn.Sequential</c>); children are named "0", "1", ... unless named explicitly.</summary>
        public sealed class Sequential : Module<Tensor, Tensor>
        {
            private readonly List<Module<Tensor, Tensor>> _layers = new();

            /// <summary>An empty chain (the identity until layers are appended).</summary>
            public Sequential() { }

            /// <summary>Chains <paramref name="layers"/>, naming them by position.</summary>
            public Sequential(params IEnumerable<Module<Tensor, Tensor>> layers)
            {
                ArgumentNullException.ThrowIfNull(layers);
                foreach (var l in layers) append(l);
            }

            /// <summary>Chains named layers.</summary>
            public Sequential(params IEnumerable<(string name, Module<Tensor, Tensor> module)> layers)
            {
                ArgumentNullException.ThrowIfNull(layers);
                foreach (var (n, l) in layers) append(n, l);
            }

            /// <summary>Number of layers.</summary>
            public int Count => _layers.Count;

            /// <summary>The layer at <paramref name="index"/>.</summary>
            public Module<Tensor, Tensor> this[int index] => _layers[index];

            /// <summary>Appends a layer named by its position; returns this.</summary>
            public Sequential append(Module<Tensor, Tensor> layer) =>
                append(_layers.Count.ToString(System.Globalization.CultureInfo.InvariantCulture), layer);

            /// <summary>Appends a named layer; returns this.</summary>
            public Sequential append(string name, Module<Tensor, Tensor> layer)
            {
                ArgumentNullException.ThrowIfNull(layer);
                if (named_children().Any(c => c.name == name)) throw new ArgumentException($"Sequential: a layer named '{name}' already exists", nameof(name));
                register_module(name, layer);
                _layers.Add(layer);
                return this;
            }

            /// <summary>Runs every layer in order.</summary>
            public override Tensor forward(Tensor input)
            {
                var x = input;
                foreach (var l in _layers) x = l.call(x);
                return x;
            }
        }
    }
}
