// Small module trees shared by the nn and optim tests.
using static PluginMoE.Tensors.torch;

namespace PluginMoE.Tensors.Tests.Modules;

/// <summary>A block with a parameter, a buffer, a child and a non-persistent buffer, registered by hand.</summary>
internal sealed class Block : torch.nn.Module
{
    public readonly torch.nn.Parameter scale;
    public readonly torch.nn.Linear proj;

    public Block(long dim, Generator g)
    {
        scale = new torch.nn.Parameter(ones([dim], float32));
        proj = new torch.nn.Linear(dim, dim, bias: true, generator: g);
        register_parameter("scale", scale);
        register_module("proj", proj);
        register_buffer("inv_freq", arange(0, dim).to(float32));
        register_buffer("cache", zeros([2, dim], float32), persistent: false);
    }
}

/// <summary>A model registered by reflection: embedding, a list of blocks, a final norm and an untied head.</summary>
internal sealed class TinyModel : torch.nn.Module
{
    private readonly torch.nn.Embedding _embed;
    private readonly torch.nn.ModuleList<Block> _layers;
    private readonly torch.nn.RMSNorm _norm;
    private readonly torch.nn.Parameter _head;

    public TinyModel(long vocab = 10, long dim = 4, int layers = 2, long seed = 0)
    {
        var g = new Generator(seed);
        _embed = new torch.nn.Embedding(vocab, dim, generator: g);
        _layers = new torch.nn.ModuleList<Block>(Enumerable.Range(0, layers).Select(_ => new Block(dim, g)));
        _norm = new torch.nn.RMSNorm(dim);
        _head = new torch.nn.Parameter(randn([vocab, dim], float32, g));
        RegisterComponents();
    }

    public torch.nn.ModuleList<Block> Layers => _layers;
}
