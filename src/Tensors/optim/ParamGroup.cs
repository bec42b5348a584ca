// A parameter group: a set of parameters trained with their own hyperparameters (PyTorch's param_groups entries).
namespace PluginMoE.Tensors;

public static partial class torch
{
    public static partial class optim
    {
        /// <summary>
        /// Parameters that share hyperparameters (e.g. "no weight decay for norms and biases"). Options left
        /// unset take the optimizer's defaults when the group is added. Options are plain numbers by name
        /// (flags are 0/1), so a group's settings serialise as JSON.
        /// </summary>
        public sealed class ParamGroup
        {
            /// <summary>Creates a group; null options take the optimizer's defaults.</summary>
            /// <param name="parameters">Leaf tensors to train.</param>
            /// <param name="lr">Learning rate.</param>
            /// <param name="weight_decay">Weight decay (decoupled for AdamW, L2 for SGD).</param>
            /// <param name="beta1">Adam first-moment decay.</param>
            /// <param name="beta2">Adam second-moment decay.</param>
            /// <param name="eps">Adam denominator term.</param>
            /// <param name="momentum">SGD momentum.</param>
            /// <param name="dampening">SGD dampening.</param>
            /// <param name="nesterov">SGD Nesterov momentum.</param>
            /// <param name="name">Optional label shown in errors and saved with the optimizer state.</param>
            public ParamGroup(IEnumerable<Tensor> parameters, double? lr = null, double? weight_decay = null, double? beta1 = null, double? beta2 = null,
                double? eps = null, double? momentum = null, double? dampening = null, bool? nesterov = null, string? name = null)
            {
                ArgumentNullException.ThrowIfNull(parameters);
                this.parameters = parameters.ToList();
                this.name = name;
                if (lr is { } a) options["lr"] = a;
                if (weight_decay is { } b) options["weight_decay"] = b;
                if (beta1 is { } c) options["beta1"] = c;
                if (beta2 is { } d) options["beta2"] = d;
                if (eps is { } e) options["eps"] = e;
                if (momentum is { } f) options["momentum"] = f;
                if (dampening is { } g) options["dampening"] = g;
                if (nesterov is { } h) options["nesterov"] = h ? 1 : 0;
            }

            /// <summary>The parameters of this group.</summary>
            public IReadOnlyList<Tensor> parameters { get; }

            /// <summary>Optional label.</summary>
            public string? name { get; }

            /// <summary>All options by name (after the group is added: every option the optimizer knows, plus <c>initial_lr</c> once a scheduler ran).</summary>
            public Dictionary<string, double> options { get; } = new();

            /// <summary>An option by name.</summary>
            /// <exception cref="KeyNotFoundException">The option is not set.</exception>
            public double this[string option]
            {
                get => options.TryGetValue(option, out var v) ? v
                    : throw new KeyNotFoundException($"param group{(name is null ? "" : $" '{name}'")} has no option '{option}' (has: {string.Join(", ", options.Keys)})");
                set => options[option] = value;
            }

            /// <summary>Learning rate (schedulers set it every step).</summary>
            public double lr { get => this["lr"]; set => this["lr"] = value; }

            /// <summary>The learning rate schedules are based on (set by the first scheduler attached).</summary>
            public double initial_lr { get => this["initial_lr"]; set => this["initial_lr"] = value; }

            /// <summary>Weight decay.</summary>
            public double weight_decay { get => this["weight_decay"]; set => this["weight_decay"] = value; }
        }
    }
}
