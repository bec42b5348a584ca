// Microsoft.Extensions.Options adapter: an options section registered in the generic host is bound with
// SectionBinder and validated at start (ValidateOnStart) with OptionsValidator, so code that takes
// IOptions<T> gets the same values and the same key-path error messages as HostSettings.
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace PluginMoE.Host.Configuration;

/// <summary>Registers host options sections with binding and start-up validation.</summary>
public static class SectionOptionsValidation
{
    /// <summary>Adds <typeparamref name="T"/> bound from its <c>SectionName</c> section, validated when the host starts.</summary>
    public static IServiceCollection AddSectionOptions<T>(this IServiceCollection services, IConfiguration configuration)
        where T : class, ISectionOptions, new()
    {
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddOptions<T>()
            .Configure(target =>
            {
                var bound = SectionBinder.Bind<T>(configuration.GetSection(T.SectionName), []);
                foreach (var p in typeof(T).GetProperties().Where(p => p.CanRead && p.CanWrite && p.GetIndexParameters().Length == 0))
                    p.SetValue(target, p.GetValue(bound));
            })
            .ValidateOnStart();
        services.AddSingleton<IValidateOptions<T>>(new Validator<T>(configuration));
        return services;
    }

    private sealed class Validator<T>(IConfiguration configuration) : IValidateOptions<T> where T : class, ISectionOptions, new()
    {
        public ValidateOptionsResult Validate(string? name, T options)
        {
            var errors = new List<string>();
            SectionBinder.Bind<T>(configuration.GetSection(T.SectionName), errors);
            if (errors.Count == 0) OptionsValidator.Validate(options, T.SectionName, errors);
            return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
        }
    }
}
