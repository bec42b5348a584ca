// One recorded op in the autograd graph: its inputs, how many outputs it produced, and the closure that maps the
// outputs' gradients to the inputs' gradients (the op's backward rule). A multi-output node (e.g. the fused
// residual add + RMSNorm, which returns the sum and its normalisation) receives every output's gradient in one call.
namespace PluginMoE.Tensors.Autograd;

/// <summary>
/// A backward rule bound to the tensors it needs. <see cref="Backward"/> receives dL/d(output k) for each of the
/// node's <see cref="OutputCount"/> outputs (null where no gradient reached that output, meaning zero) and returns
/// one gradient per input (null where the input needs none); it is released after a backward pass unless the graph
/// is retained. Tensors the rule reads are recorded with their storage's version so that backward can refuse to run
/// on data an in-place op has overwritten since.
/// </summary>
internal sealed class Node
{
    private static long _counter;

    /// <summary>A single-output node.</summary>
    public Node(string name, Tensor[] inputs, Func<Tensor, Tensor?[]> backward, Tensor[]? saved = null)
        : this(name, inputs, 1, g => backward(g[0]!), saved)
    {
    }

    /// <summary>A node with <paramref name="outputCount"/> outputs; <paramref name="backward"/> gets one (nullable) gradient per output.</summary>
    public Node(string name, Tensor[] inputs, int outputCount, Func<Tensor?[], Tensor?[]> backward, Tensor[]? saved = null)
    {
        Name = name;
        Inputs = inputs;
        OutputCount = outputCount;
        Backward = backward;
        Sequence = Interlocked.Increment(ref _counter);
        if (OpProfile.Enabled) OpProfile.ChargeSinceMark("fwd:" + name);
        // Edges are fixed now, as in PyTorch: an in-place op that later moves an input's history behind a new node
        // must not redirect the gradient this node sends to the input as it was.
        Edges = new (Node?, int, bool)[inputs.Length];
        for (int i = 0; i < inputs.Length; i++) Edges[i] = (inputs[i].GradFn, inputs[i].OutputIndex, inputs[i].requires_grad);
        saved ??= inputs;
        if (saved.Length > 0)
        {
            Saved = new (TensorStorage, int, int[])[saved.Length];
            for (int i = 0; i < saved.Length; i++) Saved[i] = (saved[i].Storage, saved[i].Storage.Version, saved[i].Sizes);
        }
    }

    /// <summary>Op name, e.g. <c>MatmulBackward</c>.</summary>
    public string Name { get; }

    /// <summary>The op's tensor inputs, in argument order.</summary>
    public Tensor[] Inputs { get; }

    /// <summary>Per input, when the node was recorded: the node that produced it (null for a leaf), which of that node's outputs it is, and whether it required grad.</summary>
    public (Node? producer, int output, bool requiresGrad)[] Edges { get; }

    /// <summary>How many tensors the op produced (each output tensor knows its index).</summary>
    public int OutputCount { get; }

    /// <summary>The backward rule (one gradient per output in, one per input out); null once released.</summary>
    public Func<Tensor?[], Tensor?[]>? Backward { get; set; }

    /// <summary>Creation order (later nodes depend on earlier ones).</summary>
    public long Sequence { get; }

    /// <summary>Storages the rule reads, with their versions when the node was recorded (null: none).</summary>
    public (TensorStorage storage, int version, int[] sizes)[]? Saved { get; }

    /// <summary>Throws when an in-place op has modified a saved tensor since this node was recorded.</summary>
    public void CheckSavedVersions()
    {
        if (Saved is null) return;
        foreach (var (storage, version, sizes) in Saved)
        {
            if (storage.Version == version) continue;
            throw new InvalidOperationException(
                $"backward(): a tensor of shape {Shape.Format(sizes)} that {Name} saved for its backward was modified by an in-place " +
                $"operation ({storage.LastInPlaceOp ?? "unknown"}) after it was saved: it is at version {storage.Version}, expected version {version}. " +
                "clone() the tensor before modifying it in place, or make the in-place change after backward()");
        }
    }
}
