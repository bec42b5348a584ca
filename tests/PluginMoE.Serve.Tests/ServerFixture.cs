// A real `pluginmoe serve` application on a random free loopback port, serving the 2-layer fixture checkpoint
// (Fixtures/tiny-run/train/model, with the run's eval.json beside it), and helpers to reach it.
using PluginMoE.Core.Model;
using PluginMoE.Host.Cli;
using PluginMoE.Host.Serve;

namespace PluginMoE.Serve.Tests;

/// <summary>Paths and model loading shared by the tests.</summary>
public static class TestCheckpoint
{
    public static readonly string Directory = Path.Combine(AppContext.BaseDirectory, "Fixtures", "tiny-run", "train", "model");

    public static CliEnvironment Environment(TextWriter? output = null) => new()
    {
        Out = output ?? TextWriter.Null,
        Error = output ?? TextWriter.Null,
        HostDirectory = AppContext.BaseDirectory,
        WorkingDirectory = AppContext.BaseDirectory,
        HandleConsoleSignals = false,
    };

    public static TransformerLM Load() => CheckpointInput.Load(Environment(), Directory);

    /// <summary>The repository root (the folder holding PluginMoE.sln).</summary>
    public static string RepositoryRoot()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
            if (File.Exists(Path.Combine(d.FullName, "PluginMoE.sln"))) return d.FullName;
        throw new InvalidOperationException($"no PluginMoE.sln above {AppContext.BaseDirectory}");
    }
}

/// <summary>A running server; dispose to stop it.</summary>
public sealed class RunningServer : IAsyncDisposable
{
    private readonly ServeApp _app;

    private RunningServer(ServeApp app, ServedModel model, Uri address, StringWriter log)
    {
        _app = app;
        Model = model;
        Address = address;
        Log = log;
        Client = new HttpClient { BaseAddress = address, Timeout = TimeSpan.FromSeconds(120) };
    }

    public ServedModel Model { get; }

    public Uri Address { get; }

    public HttpClient Client { get; }

    public StringWriter Log { get; }

    public static async Task<RunningServer> StartAsync(ServeLimits? limits = null, ServedModel? model = null)
    {
        model ??= new ServedModel(TestCheckpoint.Load(), TestCheckpoint.Directory);
        var log = new StringWriter();
        var app = ServeApp.Create(model, ["http://127.0.0.1:0"], limits ?? new ServeLimits(), log);
        await app.StartAsync();
        var address = new Uri(app.Addresses.Single());
        Assert.Equal("127.0.0.1", address.Host);
        Assert.NotEqual(0, address.Port);
        return new RunningServer(app, model, address, log);
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}

/// <summary>One server shared by the tests of a class.</summary>
public sealed class ServerFixture : IAsyncLifetime
{
    public RunningServer Server { get; private set; } = null!;

    public async Task InitializeAsync() => Server = await RunningServer.StartAsync();

    public async Task DisposeAsync() => await Server.DisposeAsync();
}
