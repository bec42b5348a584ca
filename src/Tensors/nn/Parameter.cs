// nn.Parameter: a tensor that a Module owns and an optimizer updates (a leaf that requires grad by default).
namespace PluginMoE.Tensors;

public static partial class torch
{
    public static partial class nn
    {
        /// <summary>
        /// A learnable tensor (PyTorch's <c>torch.nn.Parameter</c>). It shares the storage of the tensor it wraps,
        /// is always a leaf of the autograd graph and requires grad unless told otherwise.
        /// </summary>
        public class Parameter : Tensor
        {
            /// <summary>Wraps <paramref name="data"/> (no copy) as a parameter.</summary>
            /// <param name="data">The values; the parameter shares its storage and layout.</param>
            /// <param name="requires_grad">Whether the parameter is trained (floating types only).</param>
            public Parameter(Tensor data, bool requires_grad = true)
                : base(Checked(data).Storage, data.Sizes, data.Strides, data.Offset, data.dtype)
            {
                if (requires_grad && !data.dtype.IsFloatingPoint())
                    throw new ArgumentException(
                        $"Parameter: only floating point tensors can require gradients (got {data.dtype.TorchName()}); pass requires_grad: false", nameof(requires_grad));
                this.requires_grad = requires_grad;
                DisposeScope.DetachStorage(Storage); // a module's weights outlive any dispose scope they were created in
            }

            private static Tensor Checked(Tensor data)
            {
                ArgumentNullException.ThrowIfNull(data);
                return data;
            }

            /// <inheritdoc/>
            public override string ToString() => "Parameter containing:\n" + base.ToString();
        }
    }
}
