// The generic host a run executes in: options sections are available as IOptions<T>, bound and validated
// at start with the same binder and messages as HostSettings.
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using PluginMoE.Host.Configuration;
using PluginMoE.Host.Tests.Support;

namespace PluginMoE.Host.Tests.Configuration;

public sealed class HostRuntimeTests : IDisposable
{
    private readonly TempFolder _dir = new();

    public void Dispose() => _dir.Dispose();

    private LayeredConfiguration Build(params string[] overrides)
    {
        Directory.CreateDirectory(_dir.Combine("work"));
        return LayeredConfiguration.Build(new ConfigurationRequest
        {
            HostDirectory = _dir.Combine("host"),
            WorkingDirectory = _dir.Combine("work"),
            Overrides = overrides,
        });
    }

    [Fact]
    public void Start_ExposesEverySectionAsValidatedOptions_EqualToHostSettings()
    {
        var settings = HostSettings.Load(Build("--Training:Steps=170", "--Model:Layers=3"));
        using var host = HostRuntime.Start(settings, handleConsoleSignals: false);
        Assert.Equal(170, host.Services.GetRequiredService<IOptions<TrainingOptions>>().Value.Steps);
        Assert.Equal(3, host.Services.GetRequiredService<IOptions<ModelOptions>>().Value.Layers);
        Assert.Same(settings, host.Services.GetRequiredService<HostSettings>());
    }

    [Fact]
    public void AddSectionOptions_InvalidValue_FailsValidateOnStartWithTheKeyPath()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["Model:Heads"] = "0" }).Build();
        using var services = new ServiceCollection().AddSectionOptions<ModelOptions>(configuration).BuildServiceProvider();
        var ex = Assert.Throws<OptionsValidationException>(() => services.GetRequiredService<IOptions<ModelOptions>>().Value);
        Assert.Contains("Model:Heads: value 0 is not allowed: allowed values are 1 to 1024", ex.Message);
    }
}
