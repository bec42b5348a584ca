// nn.Identity: returns its input (a placeholder layer).
namespace PluginMoE.Tensors;

public static partial class torch
{
    public static partial class nn
    {
        /// <summary>Returns its input unchanged (PyTorch's <c>torch.nn.Identity</c>).</summary>
        public sealed class Identity : Module<Tensor, Tensor>
        {
            /// <summary>Returns <paramref name="input"/>.</summary>
            public override Tensor forward(Tensor input) => input;
        }
    }
}
