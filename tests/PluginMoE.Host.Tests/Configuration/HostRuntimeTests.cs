// The generic host a run executes in: it serves only the lifetime (signals become a graceful stop); the settings are
// bound and validated once by HostSettings and are not registered again as IOptions<T>.
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using PluginMoE.Core.Training;
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
    public void Start_RegistersTheLifetimeOnly_NoSecondFormOfTheSettings()
    {
        var settings = HostSettings.Load(Build("--Training:Steps=170", "--Model:Layers=3"));
        using var host = HostRuntime.Start(settings, handleConsoleSignals: false);
        Assert.NotNull(host.Services.GetRequiredService<IHostApplicationLifetime>());
        Assert.NotNull(host.Services.GetRequiredService<StopSignal>());
        Assert.Null(host.Services.GetService<HostSettings>());
        Assert.Null(host.Services.GetService<IConfigureOptions<TrainerOptions>>());
        Assert.Equal(170, settings.Profile.Training.Steps);
        Assert.Equal(3, settings.Profile.Model.Layers);
    }
}
