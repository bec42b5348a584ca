// Losses: cross_entropy (fused log-softmax + NLL with ignore_index and label smoothing, Szegedy et al. 2016 §7),
// nll_loss and mse_loss, with PyTorch 1.13 semantics for the reductions.
namespace PluginMoE.Tensors;

public static partial class torch
{
    public static partial class nn
    {
        public static partial class functional
        {
            /// <summary>
            /// Cross-entropy between logits <paramref name="input"/> of shape (N, C) (or (C), or (N, C, d1, ...) with the
            /// classes on dim 1) and int64 class indices <paramref name="target"/> of shape (N) (or (), or (N, d1, ...)).
            /// Per sample: (1 - eps) (-log p_t) + (eps / C) sum_c (-log p_c) with eps = <paramref name="label_smoothing"/>,
            /// exactly as PyTorch defines it. Samples whose target is <paramref name="ignore_index"/> contribute 0 and are
            /// left out of the "mean" denominator, which is the number of non-ignored samples (so all-ignored gives NaN,
            /// as in PyTorch 1.13). The forward (log-softmax + NLL) and the backward (softmax - smoothed one-hot) are fused.
            /// </summary>
            /// <param name="input">Unnormalised logits, class dim 1.</param>
            /// <param name="target">Class indices (int64 or int32).</param>
            /// <param name="ignore_index">A target value that is skipped.</param>
            /// <param name="reduction">"mean", "sum" or "none" (per-sample losses of the target's shape).</param>
            /// <param name="label_smoothing">Amount of smoothing in [0, 1].</param>
            /// <exception cref="ArgumentException">Shapes, dtypes, reduction or label_smoothing are invalid.</exception>
            /// <exception cref="IndexOutOfRangeException">A target is outside [0, C) and not <paramref name="ignore_index"/>.</exception>
            public static Tensor cross_entropy(Tensor input, Tensor target, long ignore_index = -100, string reduction = "mean", double label_smoothing = 0.0)
            {
                CheckReduction(reduction, "cross_entropy");
                if (!(label_smoothing >= 0 && label_smoothing <= 1))
                    throw new ArgumentException($"cross_entropy: label_smoothing must be in [0, 1], got {label_smoothing}", nameof(label_smoothing));
                var (z, t, outShape) = FlattenClasses(input, target, "cross_entropy");
                z = z.AsFloating();
                var (loss, lse) = z.backend.CrossEntropyForward(z, t, ignore_index, label_smoothing);
                var count = Reduce(loss, t, ignore_index, reduction, outShape, out var result);
                return Tensor.Record(result, "NllLossBackward0", [z], g =>
                {
                    var perSample = PerSampleGrad(g, loss.Sizes[0], reduction, count);
                    return [z.backend.CrossEntropyBackward(perSample, z, t, lse, ignore_index, label_smoothing)];
                });
            }

            /// <summary>
            /// Negative log-likelihood of log-probabilities <paramref name="input"/> (N, C) (or (N, C, d1, ...)) at the int64
            /// class indices <paramref name="target"/>; ignored samples contribute 0 and leave the "mean" denominator.
            /// </summary>
            /// <exception cref="ArgumentException">Shapes, dtypes or reduction are invalid.</exception>
            /// <exception cref="IndexOutOfRangeException">A target is outside [0, C) and not <paramref name="ignore_index"/>.</exception>
            public static Tensor nll_loss(Tensor input, Tensor target, long ignore_index = -100, string reduction = "mean")
            {
                CheckReduction(reduction, "nll_loss");
                var (x, t, outShape) = FlattenClasses(input, target, "nll_loss");
                x = x.AsFloating();
                var loss = x.backend.NllLossForward(x, t, ignore_index);
                var count = Reduce(loss, t, ignore_index, reduction, outShape, out var result);
                int c = x.Sizes[1];
                return Tensor.Record(result, "NllLossBackward0", [x], g =>
                    [x.backend.NllLossBackward(PerSampleGrad(g, loss.Sizes[0], reduction, count), t, c, ignore_index, x.dtype)]);
            }

            /// <summary>Mean squared error: (input - target)^2, averaged ("mean"), summed ("sum") or per element ("none").</summary>
            /// <exception cref="ArgumentException">The reduction is invalid or the shapes cannot broadcast.</exception>
            public static Tensor mse_loss(Tensor input, Tensor target, string reduction = "mean")
            {
                CheckReduction(reduction, "mse_loss");
                var sq = input.sub(target).square();
                return reduction switch
                {
                    "mean" => sq.mean(),
                    "sum" => sq.sum(),
                    _ => sq,
                };
            }

            private static void CheckReduction(string reduction, string op)
            {
                if (reduction is not ("mean" or "sum" or "none"))
                    throw new ArgumentException($"{op}: reduction must be \"mean\", \"sum\" or \"none\", got \"{reduction}\"", nameof(reduction));
            }

            /// <summary>Views the input as (samples, C) with the class dim last, and the target as (samples).</summary>
            private static (Tensor input2d, Tensor target1d, long[] outShape) FlattenClasses(Tensor input, Tensor target, string op)
            {
                ArgumentNullException.ThrowIfNull(input);
                ArgumentNullException.ThrowIfNull(target);
                if (!target.dtype.IsInteger())
                    throw new ArgumentException(
                        $"{op}: target must hold int64 class indices, got {target.dtype.TorchName()} (class-probability targets are not supported)", nameof(target));
                var t = target.to(ScalarType.Int64);
                int rank = input.dim();
                if (rank == 0) throw new ArgumentException($"{op}: input must have a class dimension, got a 0-dim tensor", nameof(input));
                if (rank == 1)
                {
                    if (t.dim() != 0)
                        throw new ArgumentException($"{op}: for unbatched input of shape {Shape.Format(input.Sizes)} the target must be 0-dim, got {Shape.Format(t.Sizes)}", nameof(target));
                    return (input.unsqueeze(0), t.reshape(1), []);
                }
                var expected = input.Sizes.Where((_, i) => i != 1).ToArray();
                if (!Shape.Equal(t.Sizes, expected))
                    throw new ArgumentException(
                        $"{op}: input of shape {Shape.Format(input.Sizes)} (classes on dim 1) needs a target of shape {Shape.Format(expected)}, got {Shape.Format(t.Sizes)}", nameof(target));
                long classes = input.Sizes[1];
                var x = input;
                if (rank > 2)
                {
                    var perm = new List<long> { 0 };
                    for (int i = 2; i < rank; i++) perm.Add(i);
                    perm.Add(1);
                    x = input.permute([.. perm]);
                }
                return (x.reshape(-1, classes), t.reshape(-1), Shape.ToLong(expected));
            }

            /// <summary>Applies the reduction to per-sample losses; returns the "mean" denominator (non-ignored samples).</summary>
            private static long Reduce(Tensor loss, Tensor target, long ignoreIndex, string reduction, long[] outShape, out Tensor result)
            {
                long count = 0;
                if (reduction == "mean")
                    foreach (var v in target.data<long>()) count += v != ignoreIndex ? 1 : 0;
                result = reduction switch
                {
                    "none" => loss.reshape(outShape),
                    "sum" => loss.sum(),
                    _ => loss.sum().div(count), // 0/0 = NaN when every target is ignored (PyTorch 1.13)
                };
                return count;
            }

            /// <summary>dL/dloss_i for each sample from the gradient of the reduced output.</summary>
            private static Tensor PerSampleGrad(Tensor g, int samples, string reduction, long count) => reduction switch
            {
                "none" => g.reshape(samples),
                "sum" => g.reshape(1).expand(samples),
                _ => g.div(count).reshape(1).expand(samples),
            };
        }
    }
}
