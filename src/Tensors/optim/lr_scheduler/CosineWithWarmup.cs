// Linear warmup then cosine decay to a floor (Loshchilov and Hutter 2017, SGDR eq. 5, without restarts), and a
// warmup-then-constant schedule: the usual LLM pre-training schedules.
namespace PluginMoE.Tensors;

public static partial class torch
{
    public static partial class optim
    {
        public static partial class lr_scheduler
        {
            /// <summary>
            /// Linear warmup from <c>warmup_start_factor * base_lr</c> (0 by default) at step 0 to base_lr at step
            /// <c>warmup_steps</c>, then a half cosine from base_lr down to the floor at <c>total_steps</c>, then the floor:
            /// lr = floor + (base - floor) * (1 + cos(pi * (step - W) / (T - W))) / 2. The floor is <c>min_lr</c>
            /// (absolute) or <c>min_lr_ratio * base_lr</c>.
            /// </summary>
            public sealed class CosineWithWarmup : LRScheduler
            {
                /// <summary>Steps of linear warmup (W).</summary>
                public long warmup_steps { get; }

                /// <summary>Step at which the floor is reached (T).</summary>
                public long total_steps { get; }

                private readonly double _minLr;
                private readonly double? _minLrRatio;
                private readonly double _startFactor;

                /// <summary>Creates the schedule.</summary>
                /// <param name="optimizer">Optimizer whose group lrs are set.</param>
                /// <param name="warmup_steps">W: steps of linear warmup (0 for none).</param>
                /// <param name="total_steps">T: step at which the decay ends (T >= W).</param>
                /// <param name="min_lr">Absolute floor (used unless <paramref name="min_lr_ratio"/> is given).</param>
                /// <param name="min_lr_ratio">Floor as a fraction of each group's base lr.</param>
                /// <param name="warmup_start_factor">Fraction of the base lr at step 0.</param>
                public CosineWithWarmup(Optimizer optimizer, long warmup_steps, long total_steps, double min_lr = 0, double? min_lr_ratio = null, double warmup_start_factor = 0)
                    : base(optimizer)
                {
                    if (warmup_steps < 0 || total_steps < warmup_steps)
                        throw new ArgumentException($"CosineWithWarmup: need 0 <= warmup_steps <= total_steps, got warmup_steps={warmup_steps}, total_steps={total_steps}");
                    if (!(min_lr >= 0)) throw new ArgumentException($"CosineWithWarmup: min_lr must be >= 0, got {min_lr}", nameof(min_lr));
                    if (min_lr_ratio is { } r && !(r >= 0 && r <= 1)) throw new ArgumentException($"CosineWithWarmup: min_lr_ratio must be within [0, 1], got {r}", nameof(min_lr_ratio));
                    if (min_lr_ratio is not null && min_lr != 0) throw new ArgumentException("CosineWithWarmup: give either min_lr or min_lr_ratio, not both");
                    if (!(warmup_start_factor >= 0 && warmup_start_factor <= 1))
                        throw new ArgumentException($"CosineWithWarmup: warmup_start_factor must be within [0, 1], got {warmup_start_factor}", nameof(warmup_start_factor));
                    this.warmup_steps = warmup_steps;
                    this.total_steps = total_steps;
                    _minLr = min_lr;
                    _minLrRatio = min_lr_ratio;
                    _startFactor = warmup_start_factor;
                    Initialize();
                }

                /// <inheritdoc/>
                public override double lr_at(long step, double base_lr, int group)
                {
                    if (step < warmup_steps) return base_lr * (_startFactor + (1 - _startFactor) * step / warmup_steps);
                    double floor = _minLrRatio is { } r ? r * base_lr : _minLr;
                    if (step >= total_steps) return total_steps == warmup_steps ? base_lr : floor;
                    double progress = (double)(step - warmup_steps) / (total_steps - warmup_steps);
                    return floor + (base_lr - floor) * 0.5 * (1 + Math.Cos(Math.PI * progress));
                }
            }

            /// <summary>Linear warmup from <c>warmup_start_factor * base_lr</c> to base_lr over <c>warmup_steps</c>, then constant.</summary>
            public sealed class ConstantWithWarmup : LRScheduler
            {
                private readonly long _warmup;
                private readonly double _startFactor;

                /// <summary>Creates the schedule.</summary>
                public ConstantWithWarmup(Optimizer optimizer, long warmup_steps = 0, double warmup_start_factor = 0) : base(optimizer)
                {
                    if (warmup_steps < 0) throw new ArgumentException($"ConstantWithWarmup: warmup_steps must be >= 0, got {warmup_steps}", nameof(warmup_steps));
                    if (!(warmup_start_factor >= 0 && warmup_start_factor <= 1))
                        throw new ArgumentException($"ConstantWithWarmup: warmup_start_factor must be within [0, 1], got {warmup_start_factor}", nameof(warmup_start_factor));
                    (_warmup, _startFactor) = (warmup_steps, warmup_start_factor);
                    Initialize();
                }

                /// <inheritdoc/>
                public override double lr_at(long step, double base_lr, int group) =>
                    step < _warmup ? base_lr * (_startFactor + (1 - _startFactor) * step / _warmup) : base_lr;
            }
        }
    }
}
