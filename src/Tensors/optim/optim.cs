// torch.optim: optimizers (AdamW, SGD), their parameter groups and state, and learning-rate schedulers.
namespace PluginMoE.Tensors;

public static partial class torch
{
    /// <summary>Optimizers and learning-rate schedulers (PyTorch's <c>torch.optim</c>).</summary>
    public static partial class optim
    {
    }
}
