// One recorded op in the autograd graph: its inputs and the closure that maps the output's
// gradient to the inputs' gradients (the op's backward rule).
namespace PluginMoE.Tensors.Autograd;

/// <summary>
/// A backward rule bound to the tensors it needs. <see cref="Backward"/> receives dL/d(output) and
/// returns one gradient per input (null where the input needs none); it is released after a
/// backward pass unless the graph is retained.
/// </summary>
internal sealed class Node
{
    private static long _counter;

    public Node(string name, Tensor[] inputs, Func<Tensor, Tensor?[]> backward)
    {
        Name = name;
        Inputs = inputs;
        Backward = backward;
        Sequence = Interlocked.Increment(ref _counter);
    }

    /// <summary>Op name, e.g. <c>MatmulBackward</c>.</summary>
    public string Name { get; }

    /// <summary>The op's tensor inputs, in argument order.</summary>
    public Tensor[] Inputs { get; }

    /// <summary>The backward rule; null once released.</summary>
    public Func<Tensor, Tensor?[]>? Backward { get; set; }

    /// <summary>Creation order (later nodes depend on earlier ones).</summary>
    public long Sequence { get; }
}
