// The tensor: a strided view over a storage (Storage/TensorStorage.cs), plus its place in the autograd graph.
using System.Globalization;
using System.Text;
using PluginMoE.Tensors.Autograd;
using PluginMoE.Tensors.Backends;

namespace PluginMoE.Tensors;

/// <summary>
/// An n-dimensional array on a device (PyTorch's <c>torch.Tensor</c>). A tensor is a view
/// (sizes, strides, offset) over a <see cref="TensorStorage"/> that several views may share. Float tensors can
/// take part in reverse-mode automatic differentiation (<see cref="requires_grad"/>, <see cref="backward"/>).
/// </summary>
public partial class Tensor
{
    internal readonly TensorStorage Storage;
    internal readonly int[] Sizes;
    internal readonly int[] Strides;
    internal readonly int Offset;
    private bool _requiresGrad;

    internal Tensor(TensorStorage storage, int[] sizes, int[] strides, int offset, ScalarType dtype)
    {
        Storage = storage;
        Sizes = sizes;
        Strides = strides;
        Offset = offset;
        this.dtype = dtype;
        NumelCached = Shape.Numel(sizes);
    }

    /// <summary>A new uninitialised contiguous CPU tensor.</summary>
    internal static Tensor Empty(ScalarType dtype, int[] sizes) => Empty(dtype, sizes, Device.CPU);

    /// <summary>A new uninitialised contiguous tensor on <paramref name="device"/> (its backend allocates the storage).</summary>
    internal static Tensor Empty(ScalarType dtype, int[] sizes, Device device) =>
        new(BackendRegistry.Get(device).Allocate(dtype, Shape.Numel(sizes), zeroed: false), sizes, Shape.ContiguousStrides(sizes), 0, dtype);

    /// <summary>A new zero-filled contiguous CPU tensor.</summary>
    internal static Tensor Zeros(ScalarType dtype, int[] sizes) => Zeros(dtype, sizes, Device.CPU);

    /// <summary>A new zero-filled contiguous tensor on <paramref name="device"/>.</summary>
    internal static Tensor Zeros(ScalarType dtype, int[] sizes, Device device) =>
        new(BackendRegistry.Get(device).Allocate(dtype, Shape.Numel(sizes), zeroed: true), sizes, Shape.ContiguousStrides(sizes), 0, dtype);

    /// <summary>Wraps an existing array (no copy) as a contiguous tensor.</summary>
    internal static Tensor Wrap<T>(T[] data, int[] sizes) where T : unmanaged
    {
        if (Shape.Numel(sizes) != data.Length)
            throw new ArgumentException($"{data.Length} elements cannot form shape {Shape.Format(sizes)}");
        var dtype = ScalarTypeExtensions.Of<T>();
        return new Tensor(new ManagedStorage(data, dtype), sizes, Shape.ContiguousStrides(sizes), 0, dtype);
    }

    internal readonly int NumelCached;

    /// <summary>Element type.</summary>
    public ScalarType dtype { get; }

    /// <summary>Device holding the data.</summary>
    public Device device => Storage.Device;

    /// <summary>The backend running this tensor's kernels.</summary>
    internal IBackend backend => BackendRegistry.Get(device);

    /// <summary>Sizes of each dimension.</summary>
    public long[] shape => Shape.ToLong(Sizes);

    /// <summary>Number of dimensions.</summary>
    public int dim() => Sizes.Length;

    /// <summary>Number of dimensions.</summary>
    public int ndim => Sizes.Length;

    /// <summary>Number of elements.</summary>
    public long numel() => NumelCached;

    /// <summary>Size of dimension <paramref name="d"/> (negative counts from the end).</summary>
    public long size(int d) => Sizes[Shape.WrapDim(d, Sizes.Length, "size")];

    /// <summary>Strides (in elements) of each dimension.</summary>
    public long[] stride() => Shape.ToLong(Strides);

    /// <summary>Offset (in elements) of the first element within the storage.</summary>
    public long storage_offset() => Offset;

    /// <summary>True when the elements are laid out densely in row-major order.</summary>
    public bool is_contiguous()
    {
        if (NumelCached == 0) return true; // as in PyTorch: an empty tensor has no layout to violate
        int expected = 1;
        for (int i = Sizes.Length - 1; i >= 0; i--)
        {
            if (Sizes[i] == 1) continue;
            if (Strides[i] != expected) return false;
            expected *= Sizes[i];
        }
        return true;
    }

    /// <summary>
    /// PyTorch's <c>Tensor._version</c>: how many in-place writes (in-place ops, <c>copy_</c>, optimizer steps) its storage
    /// has seen through any view. Caches of values derived from parameters compare it to know when to recompute.
    /// </summary>
    public int _version => Storage.Version;

    // ---------------------------------------------------------------- autograd state

    internal Node? GradFn;
    internal bool RetainsGrad;

    /// <summary>
    /// Whether gradients are computed for this tensor. Setting it is allowed on leaves of floating type only.
    /// </summary>
    public bool requires_grad
    {
        get => _requiresGrad || GradFn != null;
        set
        {
            if (GradFn != null && !value)
                throw new InvalidOperationException("requires_grad can only be cleared on leaf tensors; use detach() for a non-leaf tensor");
            if (value && !dtype.IsFloatingPoint())
                throw new InvalidOperationException($"only floating point tensors can require gradients (this tensor is {dtype.TorchName()})");
            _requiresGrad = value;
        }
    }

    /// <summary>Sets <see cref="requires_grad"/> and returns this tensor (PyTorch's <c>requires_grad_()</c>).</summary>
    public Tensor requires_grad_(bool value = true)
    {
        requires_grad = value;
        return this;
    }

    /// <summary>The accumulated gradient after <see cref="backward"/>; null before.</summary>
    public Tensor? grad { get; set; }

    /// <summary>True for tensors created by the user rather than by a recorded op.</summary>
    public bool is_leaf => GradFn == null;

    /// <summary>Name of the op that produced this tensor (e.g. <c>MatmulBackward</c>), or null for leaves.</summary>
    public string? grad_fn => GradFn?.Name;

    /// <summary>Asks a non-leaf tensor to keep its <see cref="grad"/> after backward.</summary>
    public void retain_grad()
    {
        if (!requires_grad) throw new InvalidOperationException("retain_grad() called on a tensor that does not require grad");
        RetainsGrad = true;
    }

    /// <summary>A tensor sharing this one's data but cut from the graph.</summary>
    public Tensor detach() => new(Storage, Sizes, Strides, Offset, dtype);

    /// <summary>
    /// Computes the gradient of this tensor with respect to the graph leaves and accumulates it into their
    /// <see cref="grad"/>. A non-scalar tensor needs an explicit <paramref name="gradient"/> of its shape.
    /// </summary>
    /// <param name="gradient">dL/d(this); defaults to 1 for a one-element tensor.</param>
    /// <param name="retain_graph">Keep the backward rules so that backward can run through this graph again.</param>
    public void backward(Tensor? gradient = null, bool retain_graph = false) => Engine.Backward(this, gradient, retain_graph);

    /// <summary>Registers this op's output in the graph when recording is on and an input requires grad.</summary>
    /// <param name="result">The op's output.</param>
    /// <param name="name">Node name, e.g. <c>MulBackward</c>.</param>
    /// <param name="inputs">The op's tensor inputs, in the order of the gradients <paramref name="backward"/> returns.</param>
    /// <param name="backward">Maps dL/d(result) to one gradient per input.</param>
    /// <param name="saved">Tensors the rule reads (their versions are checked before it runs); null means all inputs.</param>
    internal static Tensor Record(Tensor result, string name, Tensor[] inputs, Func<Tensor, Tensor?[]> backward, Tensor[]? saved = null)
    {
        if (!GradMode.Enabled) return result;
        bool any = false;
        foreach (var t in inputs) any |= t.requires_grad;
        if (!any) return result;
        result.GradFn = new Node(name, inputs, backward, saved);
        result.OutputIndex = 0;
        return result;
    }

    /// <summary>
    /// Registers an op with several outputs as one node: <paramref name="backward"/> receives the gradients of all
    /// <paramref name="results"/> in one call (null for an output no gradient reached, meaning zero).
    /// </summary>
    internal static void RecordMulti(Tensor[] results, string name, Tensor[] inputs, Func<Tensor?[], Tensor?[]> backward, Tensor[]? saved = null)
    {
        if (!GradMode.Enabled) return;
        bool any = false;
        foreach (var t in inputs) any |= t.requires_grad;
        if (!any) return;
        var node = new Node(name, inputs, results.Length, backward, saved);
        for (int i = 0; i < results.Length; i++)
        {
            results[i].GradFn = node;
            results[i].OutputIndex = i;
        }
    }

    /// <summary>Which output of <see cref="GradFn"/> this tensor is.</summary>
    internal int OutputIndex;

    /// <summary>True for tensors made by a view op (they share their base's storage).</summary>
    internal bool IsView;

    /// <summary>
    /// The checks PyTorch makes before an in-place op: a leaf that requires grad cannot be modified while gradients are
    /// recorded, nor can a view of a tensor in the graph (its base's history would go stale). Returns whether the op
    /// must record a node (this tensor, or <paramref name="other"/>, takes part in autograd).
    /// </summary>
    internal bool CheckInPlace(string op, Tensor? other = null)
    {
        if (!GradMode.Enabled) return false;
        bool self = requires_grad, src = other is { requires_grad: true };
        if (self && GradFn is null)
            throw new InvalidOperationException(
                $"{op}: a leaf tensor that requires grad is being used in an in-place operation; wrap the update in " +
                "'using (torch.no_grad())' (as optimizers do) or work on a clone()");
        if ((self || src) && IsView)
            throw new InvalidOperationException(
                $"{op}: in-place modification of a view while autograd records is not supported (its base would not see the change); " +
                "clone() the view first, or compute the result out of place");
        return self || src;
    }

    /// <summary>For in-place ops without a backward rule: throws when autograd would need one.</summary>
    internal void CheckInPlaceNoAutograd(string op, Tensor? other = null)
    {
        if (CheckInPlace(op, other))
            throw new InvalidOperationException(
                $"{op}: this in-place op has no backward rule, and a tensor involved requires grad; use the out-of-place " +
                $"{op.TrimEnd('_')}() while gradients are recorded, or wrap the update in 'using (torch.no_grad())'");
    }

    /// <summary>
    /// After an in-place op has overwritten this tensor: bumps its storage's version and, when <paramref name="record"/>,
    /// moves this tensor's history behind a new node whose input 0 is the tensor as it was before (PyTorch's rebase).
    /// </summary>
    internal Tensor FinishInPlace(string op, bool record, string nodeName, Tensor[] others, Func<Tensor, Tensor?[]> backward, Tensor[] saved)
    {
        Storage.BumpVersion(op);
        if (!record) return this;
        var before = new Tensor(Storage, Sizes, Strides, Offset, dtype) { GradFn = GradFn, OutputIndex = OutputIndex };
        Tensor[] inputs = [before, .. others];
        GradFn = new Node(nodeName, inputs, backward, saved);
        OutputIndex = 0;
        return this;
    }

    // ---------------------------------------------------------------- typed access

    /// <summary>The CPU storage array (shared by every view); for the CPU backend's kernels only.</summary>
    /// <exception cref="InvalidOperationException">The storage is not a CPU array of <typeparamref name="T"/>.</exception>
    internal T[] StorageAs<T>() where T : unmanaged
    {
        if (Storage is ManagedStorage m) return m.As<T>();
        throw new InvalidOperationException(
            $"this kernel reads CPU memory, but the tensor lives on '{device}' ({Storage.GetType().Name}); copy it to the CPU first with to(Device.CPU)");
    }

    /// <summary>Span over the elements of a contiguous tensor.</summary>
    internal Span<T> AsSpan<T>() where T : unmanaged
    {
        if (!is_contiguous()) throw new InvalidOperationException("AsSpan requires a contiguous tensor; call contiguous() first");
        return new Span<T>(StorageAs<T>(), Offset, NumelCached);
    }

    /// <summary>Copies the elements, in row-major order, into a new array.</summary>
    /// <exception cref="InvalidOperationException"><typeparamref name="T"/> is not the element type.</exception>
    public T[] data<T>() where T : unmanaged
    {
        if (ScalarTypeExtensions.Of<T>() != dtype)
            throw new InvalidOperationException($"data<{typeof(T).Name}>() on a {dtype.TorchName()} tensor; convert with to() first");
        // Elements of other devices are read through a CPU copy (only the CPU backend exposes its memory).
        var host = device.type == DeviceType.CPU ? contiguous() : detach().to(Device.CPU);
        return host.AsSpan<T>().ToArray();
    }

    /// <summary>The value of a one-element tensor.</summary>
    public T item<T>() where T : unmanaged
    {
        if (NumelCached != 1) throw new InvalidOperationException($"item() needs a one-element tensor, got shape {Shape.Format(Sizes)}");
        return data<T>()[0];
    }

    /// <summary>The value of a one-element tensor as a double, whatever its type.</summary>
    public double ToDouble()
    {
        if (NumelCached != 1) throw new InvalidOperationException($"ToDouble() needs a one-element tensor, got shape {Shape.Format(Sizes)}");
        return to(ScalarType.Float64).data<double>()[0];
    }

    /// <summary>The value of a one-element tensor as a float.</summary>
    public float ToSingle() => (float)ToDouble();

    /// <summary>The value of a one-element integer tensor as a long.</summary>
    public long ToInt64() => to(ScalarType.Int64).item<long>();

    /// <inheritdoc/>
    public override string ToString()
    {
        var sb = new StringBuilder();
        sb.Append("tensor(");
        if (NumelCached <= 64)
        {
            var d = to(ScalarType.Float64).data<double>();
            sb.Append('[');
            sb.Append(string.Join(", ", d.Select(v => v.ToString("G6", CultureInfo.InvariantCulture))));
            sb.Append("], ");
        }
        sb.Append("shape=").Append(Shape.Format(Sizes)).Append(", dtype=").Append(dtype.TorchName());
        if (GradFn != null) sb.Append(", grad_fn=").Append(GradFn.Name);
        else if (_requiresGrad) sb.Append(", requires_grad=True");
        sb.Append(')');
        return sb.ToString();
    }
}
