// The learning-rate scheduler base: a closed-form lr(step, base_lr) applied to every param group on each step().
namespace PluginMoE.Tensors;

public static partial class torch
{
    public static partial class optim
    {
        /// <summary>Learning-rate schedules (PyTorch's <c>torch.optim.lr_scheduler</c>).</summary>
        public static partial class lr_scheduler
        {
            /// <summary>The saved form of a scheduler (JSON-able).</summary>
            /// <param name="last_epoch">Number of <c>step()</c> calls after construction (the index of the current step).</param>
            /// <param name="base_lrs">Per-group base learning rates.</param>
            public sealed record SchedulerState(long last_epoch, IReadOnlyList<double> base_lrs);

            /// <summary>
            /// Base of the schedulers (PyTorch's <c>LRScheduler</c>): construction sets each group's lr to the value at
            /// step 0, and each <see cref="step"/> advances <see cref="last_epoch"/> by one and sets lr from it.
            /// Schedules are closed-form functions of the step, so resuming needs only <see cref="last_epoch"/>.
            /// </summary>
            public abstract class LRScheduler
            {
                private double[] _baseLrs;

                /// <summary>Attaches to <paramref name="optimizer"/>, recording each group's <c>initial_lr</c> (its current lr) unless one is already set.</summary>
                protected LRScheduler(Optimizer optimizer)
                {
                    ArgumentNullException.ThrowIfNull(optimizer);
                    this.optimizer = optimizer;
                    foreach (var g in optimizer.param_groups) g.options.TryAdd("initial_lr", g.lr);
                    _baseLrs = optimizer.param_groups.Select(g => g.initial_lr).ToArray();
                    last_epoch = -1;
                }

                /// <summary>Call at the end of the derived constructor: moves to step 0 and sets the lrs.</summary>
                protected void Initialize() => step();

                /// <summary>The optimizer whose group lrs are set.</summary>
                public Optimizer optimizer { get; }

                /// <summary>The current step index (0 after construction).</summary>
                public long last_epoch { get; private set; }

                /// <summary>Per-group base learning rates.</summary>
                public IReadOnlyList<double> base_lrs => _baseLrs;

                /// <summary>The learning rate of group <paramref name="group"/> with base <paramref name="base_lr"/> at step <paramref name="step"/>.</summary>
                public abstract double lr_at(long step, double base_lr, int group);

                /// <summary>Advances one step and sets every group's lr.</summary>
                public void step()
                {
                    last_epoch++;
                    Apply();
                }

                private void Apply()
                {
                    var groups = optimizer.param_groups;
                    for (int i = 0; i < groups.Count; i++) groups[i].lr = lr_at(last_epoch, _baseLrs[i], i);
                }

                /// <summary>The lrs set by the last step, one per group.</summary>
                public IReadOnlyList<double> get_last_lr() => optimizer.param_groups.Select(g => g.lr).ToArray();

                /// <summary>The state to save.</summary>
                public SchedulerState state_dict() => new(last_epoch, (double[])_baseLrs.Clone());

                /// <summary>Restores a saved state and sets the lrs for its step.</summary>
                /// <exception cref="ArgumentException">The number of base lrs differs from the number of groups.</exception>
                public void load_state_dict(SchedulerState state)
                {
                    ArgumentNullException.ThrowIfNull(state);
                    if (state.base_lrs.Count != optimizer.param_groups.Count)
                        throw new ArgumentException($"{GetType().Name}.load_state_dict: the state has {state.base_lrs.Count} base lrs, the optimizer has {optimizer.param_groups.Count} param groups");
                    _baseLrs = state.base_lrs.ToArray();
                    last_epoch = state.last_epoch;
                    Apply();
                }
            }
        }
    }
}
