// AdamW: Adam with decoupled weight decay (Loshchilov and Hutter 2019), exactly as PyTorch's torch.optim.AdamW
// (non-amsgrad): p *= 1 - lr*wd, then the bias-corrected Adam step, fused into one multi-tensor pass over the parameters
// (IBackend.AdamWStepMulti; bitwise the per-parameter update).
namespace PluginMoE.Tensors;

public static partial class torch
{
    public static partial class optim
    {
        /// <summary>
        /// AdamW (PyTorch's <c>torch.optim.AdamW</c>, amsgrad off). Options per group: <c>lr</c>, <c>beta1</c>,
        /// <c>beta2</c>, <c>eps</c>, <c>weight_decay</c>, <c>maximize</c> (0/1). State per parameter:
        /// <c>exp_avg</c>, <c>exp_avg_sq</c> and the step count.
        /// </summary>
        public sealed class AdamW : Optimizer
        {
            /// <summary>Creates the optimizer over one group of parameters.</summary>
            /// <param name="parameters">Leaf tensors to train (e.g. <c>model.parameters()</c>).</param>
            /// <param name="lr">Learning rate.</param>
            /// <param name="beta1">First-moment decay.</param>
            /// <param name="beta2">Second-moment decay.</param>
            /// <param name="eps">Added to the denominator.</param>
            /// <param name="weight_decay">Decoupled weight decay coefficient.</param>
            /// <param name="maximize">Maximise the objective instead.</param>
            public AdamW(IEnumerable<Tensor> parameters, double lr = 1e-3, double beta1 = 0.9, double beta2 = 0.999, double eps = 1e-8, double weight_decay = 1e-2, bool maximize = false)
                : this([new ParamGroup(parameters)], lr, beta1, beta2, eps, weight_decay, maximize) { }

            /// <summary>Creates the optimizer over parameter groups; the other arguments are the defaults for options a group leaves unset.</summary>
            /// <param name="param_groups">Groups with their own options.</param>
            /// <param name="lr">Learning rate.</param>
            /// <param name="beta1">First-moment decay.</param>
            /// <param name="beta2">Second-moment decay.</param>
            /// <param name="eps">Added to the denominator.</param>
            /// <param name="weight_decay">Decoupled weight decay coefficient.</param>
            /// <param name="maximize">Maximise the objective instead.</param>
            public AdamW(IEnumerable<ParamGroup> param_groups, double lr = 1e-3, double beta1 = 0.9, double beta2 = 0.999, double eps = 1e-8, double weight_decay = 1e-2, bool maximize = false)
                : base(param_groups, new Dictionary<string, double>
                {
                    ["lr"] = lr, ["beta1"] = beta1, ["beta2"] = beta2, ["eps"] = eps, ["weight_decay"] = weight_decay, ["maximize"] = maximize ? 1 : 0,
                })
            { }

            /// <inheritdoc/>
            protected override void Validate(ParamGroup group, int index)
            {
                string where = $"AdamW (param group {index}{(group.name is null ? "" : $" '{group.name}'")})";
                if (!(group["lr"] >= 0)) throw new ArgumentException($"{where}: invalid learning rate {group["lr"]}; it must be >= 0");
                if (!(group["eps"] >= 0)) throw new ArgumentException($"{where}: invalid epsilon {group["eps"]}; it must be >= 0");
                if (!(group["beta1"] >= 0 && group["beta1"] < 1)) throw new ArgumentException($"{where}: invalid beta1 {group["beta1"]}; it must be in [0, 1)");
                if (!(group["beta2"] >= 0 && group["beta2"] < 1)) throw new ArgumentException($"{where}: invalid beta2 {group["beta2"]}; it must be in [0, 1)");
                if (!(group["weight_decay"] >= 0)) throw new ArgumentException($"{where}: invalid weight_decay {group["weight_decay"]}; it must be >= 0");
            }

            /// <summary>The parameters of one multi-tensor update (one device and type).</summary>
            private sealed class Batch
            {
                public readonly List<Tensor> Params = [], Grads = [], ExpAvgs = [], ExpAvgSqs = [];
                public readonly List<long> Steps = [];

                public void Add(Tensor p, Tensor g, Tensor m, Tensor v, long step)
                {
                    Params.Add(p); Grads.Add(g); ExpAvgs.Add(m); ExpAvgSqs.Add(v); Steps.Add(step);
                }
            }

            /// <inheritdoc/>
            public override void step()
            {
                var profileStart = Autograd.OpProfile.Enabled ? Autograd.OpProfile.Now() : default;
                foreach (var g in param_groups)
                {
                    double lr = g["lr"], beta1 = g["beta1"], beta2 = g["beta2"], eps = g["eps"], wd = g["weight_decay"];
                    bool maximize = g["maximize"] != 0;
                    // Contiguous parameters whose gradient matches them go to the backend as one multi-tensor update per
                    // device and type (one pass over all of them); the others (strided, or a gradient of another type or
                    // layout) go through Update one by one. Element by element both do the same arithmetic.
                    Dictionary<(Device, ScalarType), Batch>? batches = null;
                    foreach (var p in g.parameters)
                    {
                        if (p.grad is null) continue;
                        var s = StateOf(p);
                        if (!s.tensors.TryGetValue("exp_avg", out var m)) s.tensors["exp_avg"] = m = ZerosLike(p);
                        if (!s.tensors.TryGetValue("exp_avg_sq", out var v)) s.tensors["exp_avg_sq"] = v = ZerosLike(p);
                        long step = ++s.step;
                        var grad = p.grad;
                        if (p.dtype is ScalarType.Float32 or ScalarType.Float64 && p.is_contiguous() && grad.dtype == p.dtype && grad.device == p.device
                            && grad.is_contiguous() && Shape.Equal(grad.Sizes, p.Sizes) && m.is_contiguous() && v.is_contiguous())
                        {
                            batches ??= [];
                            if (!batches.TryGetValue((p.device, p.dtype), out var b)) batches[(p.device, p.dtype)] = b = new Batch();
                            p.Storage.BumpVersion("optimizer.step"); // as Update does: caches of p see the write
                            b.Add(p.detach(), grad.detach(), m, v, step);
                            continue;
                        }
                        Update(p, (param, gr) => param.backend.AdamWStep(param, gr, m, v, lr, beta1, beta2, eps, wd, step, maximize));
                    }
                    if (batches is null) continue;
                    foreach (var ((device, _), b) in batches)
                        device.Backend.AdamWStepMulti(b.Params, b.Grads, b.ExpAvgs, b.ExpAvgSqs, b.Steps, lr, beta1, beta2, eps, wd, maximize);
                }
                if (Autograd.OpProfile.Enabled) Autograd.OpProfile.AddAndMark("optim:AdamW.step", profileStart);
            }
        }
    }
}
