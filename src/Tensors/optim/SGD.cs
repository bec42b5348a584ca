// SGD with momentum, dampening, Nesterov momentum and L2 weight decay, exactly as PyTorch's torch.optim.SGD
// (Sutskever et al. 2013 for the Nesterov form).
namespace PluginMoE.Tensors;

public static partial class torch
{
    public static partial class optim
    {
        /// <summary>
        /// Stochastic gradient descent (PyTorch's <c>torch.optim.SGD</c>). Options per group: <c>lr</c>, <c>momentum</c>,
        /// <c>dampening</c>, <c>weight_decay</c>, <c>nesterov</c> (0/1), <c>maximize</c> (0/1). State per parameter:
        /// <c>momentum_buffer</c> when momentum is non-zero.
        /// </summary>
        public sealed class SGD : Optimizer
        {
            /// <summary>Creates the optimizer over one group of parameters.</summary>
            /// <param name="parameters">Leaf tensors to train.</param>
            /// <param name="lr">Learning rate.</param>
            /// <param name="momentum">Momentum factor (0: plain SGD).</param>
            /// <param name="dampening">Dampening of the momentum (must be 0 with Nesterov).</param>
            /// <param name="weight_decay">L2 penalty added to the gradient.</param>
            /// <param name="nesterov">Use Nesterov momentum.</param>
            /// <param name="maximize">Maximise the objective instead.</param>
            public SGD(IEnumerable<Tensor> parameters, double lr, double momentum = 0, double dampening = 0, double weight_decay = 0, bool nesterov = false, bool maximize = false)
                : this([new ParamGroup(parameters)], lr, momentum, dampening, weight_decay, nesterov, maximize) { }

            /// <summary>Creates the optimizer over parameter groups; the other arguments are the defaults for options a group leaves unset.</summary>
            /// <param name="param_groups">Groups with their own options.</param>
            /// <param name="lr">Learning rate.</param>
            /// <param name="momentum">Momentum factor (0: plain SGD).</param>
            /// <param name="dampening">Dampening of the momentum (must be 0 with Nesterov).</param>
            /// <param name="weight_decay">L2 penalty added to the gradient.</param>
            /// <param name="nesterov">Use Nesterov momentum.</param>
            /// <param name="maximize">Maximise the objective instead.</param>
            public SGD(IEnumerable<ParamGroup> param_groups, double lr, double momentum = 0, double dampening = 0, double weight_decay = 0, bool nesterov = false, bool maximize = false)
                : base(param_groups, new Dictionary<string, double>
                {
                    ["lr"] = lr, ["momentum"] = momentum, ["dampening"] = dampening, ["weight_decay"] = weight_decay,
                    ["nesterov"] = nesterov ? 1 : 0, ["maximize"] = maximize ? 1 : 0,
                })
            { }

            /// <inheritdoc/>
            protected override void Validate(ParamGroup group, int index)
            {
                string where = $"SGD (param group {index}{(group.name is null ? "" : $" '{group.name}'")})";
                if (!(group["lr"] >= 0)) throw new ArgumentException($"{where}: invalid learning rate {group["lr"]}; it must be >= 0");
                if (!(group["momentum"] >= 0)) throw new ArgumentException($"{where}: invalid momentum {group["momentum"]}; it must be >= 0");
                if (!(group["weight_decay"] >= 0)) throw new ArgumentException($"{where}: invalid weight_decay {group["weight_decay"]}; it must be >= 0");
                if (group["nesterov"] != 0 && (group["momentum"] <= 0 || group["dampening"] != 0))
                    throw new ArgumentException($"{where}: Nesterov momentum requires a momentum > 0 and zero dampening (got momentum {group["momentum"]}, dampening {group["dampening"]})");
            }

            /// <inheritdoc/>
            public override void step()
            {
                foreach (var g in param_groups)
                {
                    double lr = g["lr"], momentum = g["momentum"], dampening = g["dampening"], wd = g["weight_decay"];
                    bool nesterov = g["nesterov"] != 0, maximize = g["maximize"] != 0;
                    foreach (var p in g.parameters)
                    {
                        if (p.grad is null) continue;
                        var s = StateOf(p);
                        Tensor? buf = null;
                        bool first = false;
                        if (momentum != 0 && !s.tensors.TryGetValue("momentum_buffer", out buf))
                        {
                            s.tensors["momentum_buffer"] = buf = ZerosLike(p);
                            first = true;
                        }
                        s.step++;
                        Update(p, (param, grad) => param.backend.SgdStep(param, grad, buf, first, lr, momentum, dampening, wd, nesterov, maximize));
                    }
                }
            }
        }
    }
}
