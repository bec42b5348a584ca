// The saved form of an optimizer: per-parameter state tensors under flat names (for safetensors) plus a small
// JSON-able record of the groups and their hyperparameters. Together they resume training bitwise.
namespace PluginMoE.Tensors;

public static partial class torch
{
    public static partial class optim
    {
        /// <summary>
        /// An optimizer's state. <see cref="tensors"/> maps <c>state.{index}.{name}</c> to tensors, where index
        /// counts parameters over all groups in order and name is e.g. <c>exp_avg</c>, <c>exp_avg_sq</c>,
        /// <c>momentum_buffer</c> or <c>step</c> (a 0-dim int64). <see cref="metadata"/> serialises with System.Text.Json.
        /// The tensors alias the live optimizer state: write or clone them before stepping again.
        /// </summary>
        /// <param name="tensors">Per-parameter state by flat name.</param>
        /// <param name="metadata">Optimizer kind and parameter groups.</param>
        public sealed record OptimizerStateDict(IReadOnlyDictionary<string, Tensor> tensors, OptimizerMetadata metadata);

        /// <summary>The JSON-able part of an optimizer's state.</summary>
        /// <param name="optimizer">Optimizer type name (e.g. <c>AdamW</c>); loading into another type fails.</param>
        /// <param name="param_groups">Groups in order.</param>
        public sealed record OptimizerMetadata(string optimizer, IReadOnlyList<ParamGroupMetadata> param_groups);

        /// <summary>One parameter group's saved settings.</summary>
        /// <param name="params">Global indices of the group's parameters.</param>
        /// <param name="options">Hyperparameters by name (flags as 0/1).</param>
        /// <param name="name">The group's label, if any.</param>
        public sealed record ParamGroupMetadata(IReadOnlyList<int> @params, IReadOnlyDictionary<string, double> options, string? name);
    }
}
