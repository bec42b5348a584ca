// A tensor that a safetensors writer produces only when it reaches it: its name, shape and type are known up front
// (the header needs them), its data are computed on demand, so a file can be written from lazily produced tensors
// (a merge of memory-mapped checkpoints) while holding about one tensor at a time.
namespace PluginMoE.Tensors.Serialization;

/// <summary>
/// A named tensor for <see cref="SafeTensors.Save(string, IEnumerable{DeferredTensor}, IReadOnlyDictionary{string, string}?, ScalarType?)"/>
/// whose data come from <see cref="Produce"/>, called once, when the writer reaches it.
/// </summary>
/// <param name="Name">The tensor's name in the file.</param>
/// <param name="Shape">Its shape; <see cref="Produce"/> must return a tensor of exactly this shape.</param>
/// <param name="DType">Its element type; <see cref="Produce"/> must return a tensor of this type.</param>
/// <param name="Produce">Computes the tensor. Storage it allocates is released after the tensor is written (it runs inside a dispose scope), so it must not cache what it returns.</param>
public sealed record DeferredTensor(string Name, long[] Shape, ScalarType DType, Func<Tensor> Produce);
