// The PyTorch schedules in closed form: LambdaLR, ConstantLR, LinearLR and StepLR.
namespace PluginMoE.Tensors;

public static partial class torch
{
    public static partial class optim
    {
        public static partial class lr_scheduler
        {
            /// <summary>lr = base_lr * lr_lambda(step) (PyTorch's <c>LambdaLR</c>).</summary>
            public sealed class LambdaLR : LRScheduler
            {
                private readonly Func<long, double>[] _lambdas;

                /// <summary>One factor function for every group.</summary>
                public LambdaLR(Optimizer optimizer, Func<long, double> lr_lambda) : this(optimizer, [lr_lambda]) { }

                /// <summary>One factor function per group (or a single one for all).</summary>
                /// <exception cref="ArgumentException">The number of functions is neither 1 nor the number of groups.</exception>
                public LambdaLR(Optimizer optimizer, Func<long, double>[] lr_lambdas) : base(optimizer)
                {
                    ArgumentNullException.ThrowIfNull(lr_lambdas);
                    if (lr_lambdas.Length != 1 && lr_lambdas.Length != optimizer.param_groups.Count)
                        throw new ArgumentException($"LambdaLR: expected 1 or {optimizer.param_groups.Count} lr_lambdas, got {lr_lambdas.Length}", nameof(lr_lambdas));
                    _lambdas = lr_lambdas;
                    Initialize();
                }

                /// <inheritdoc/>
                public override double lr_at(long step, double base_lr, int group) => base_lr * _lambdas[_lambdas.Length == 1 ? 0 : group](step);
            }

            /// <summary>lr = base_lr * factor for the first total_iters steps, then base_lr (PyTorch's <c>ConstantLR</c>).</summary>
            public sealed class ConstantLR : LRScheduler
            {
                /// <summary>Multiplier during the first steps.</summary>
                public double factor { get; }

                /// <summary>Number of steps the factor applies.</summary>
                public long total_iters { get; }

                /// <summary>Creates the schedule.</summary>
                public ConstantLR(Optimizer optimizer, double factor = 1.0 / 3, long total_iters = 5) : base(optimizer)
                {
                    if (!(factor >= 0 && factor <= 1)) throw new ArgumentException($"ConstantLR: factor must be within [0, 1], got {factor}", nameof(factor));
                    this.factor = factor;
                    this.total_iters = total_iters;
                    Initialize();
                }

                /// <inheritdoc/>
                public override double lr_at(long step, double base_lr, int group) => step < total_iters ? base_lr * factor : base_lr;
            }

            /// <summary>
            /// The factor goes linearly from start_factor to end_factor over total_iters steps, then stays
            /// (PyTorch's <c>LinearLR</c>); also a linear warmup to a constant lr.
            /// </summary>
            public sealed class LinearLR : LRScheduler
            {
                private readonly double _start, _end;
                private readonly long _total;

                /// <summary>Creates the schedule.</summary>
                public LinearLR(Optimizer optimizer, double start_factor = 1.0 / 3, double end_factor = 1.0, long total_iters = 5) : base(optimizer)
                {
                    if (!(start_factor >= 0 && start_factor <= 1)) throw new ArgumentException($"LinearLR: start_factor must be within [0, 1], got {start_factor}", nameof(start_factor));
                    if (!(end_factor >= 0 && end_factor <= 1)) throw new ArgumentException($"LinearLR: end_factor must be within [0, 1], got {end_factor}", nameof(end_factor));
                    if (total_iters < 0) throw new ArgumentException($"LinearLR: total_iters must be >= 0, got {total_iters}", nameof(total_iters));
                    (_start, _end, _total) = (start_factor, end_factor, total_iters);
                    Initialize();
                }

                /// <inheritdoc/>
                public override double lr_at(long step, double base_lr, int group) =>
                    base_lr * (_total == 0 || step >= _total ? _end : _start + (_end - _start) * step / _total);
            }

            /// <summary>lr = base_lr * gamma^(step / step_size) (integer division; PyTorch's <c>StepLR</c>).</summary>
            public sealed class StepLR : LRScheduler
            {
                private readonly long _stepSize;
                private readonly double _gamma;

                /// <summary>Creates the schedule.</summary>
                public StepLR(Optimizer optimizer, long step_size, double gamma = 0.1) : base(optimizer)
                {
                    if (step_size <= 0) throw new ArgumentException($"StepLR: step_size must be positive, got {step_size}", nameof(step_size));
                    (_stepSize, _gamma) = (step_size, gamma);
                    Initialize();
                }

                /// <inheritdoc/>
                public override double lr_at(long step, double base_lr, int group) => base_lr * Math.Pow(_gamma, step / _stepSize);
            }
        }
    }
}
