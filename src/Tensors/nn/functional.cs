// torch.nn.functional: the stateless layer functions (spread over topic files as partials).
namespace PluginMoE.Tensors;

public static partial class torch
{
    /// <summary>Neural-network layers, initialisers and stateless layer functions (PyTorch's <c>torch.nn</c>).</summary>
    public static partial class nn
    {
        /// <summary>Stateless layer functions (PyTorch's <c>torch.nn.functional</c>).</summary>
        public static partial class functional
        {
        }
    }
}
