// The recipe's extension domain (Recipe:Extend:Domain) held out of the data that every stage before extend sees: its
// training stream, validation and test windows and documents are dropped (the tokenizer never trained on it, see TrainingData).
using PluginMoE.Core.Data;
using PluginMoE.Core.Composition;

namespace PluginMoE.Core.Recipe.Stages;

/// <summary>Removes the held-out extension domain from a run's data.</summary>
public static class HeldOutDomain
{
    /// <summary>
    /// <paramref name="data"/> without <paramref name="domain"/> (unless <paramref name="include"/>, or no domain is held out).
    /// </summary>
    /// <exception cref="ConfigurationException">The data has no such domain, or no other.</exception>
    public static TrainingData Apply(TrainingData data, string? domain, bool include)
    {
        ArgumentNullException.ThrowIfNull(data);
        if (domain is null) return data;
        if (!data.Train.Domains.Contains(domain))
            throw new ConfigurationException($"Recipe:Extend:Domain: '{domain}' is not a domain of the data (domains: {string.Join(", ", data.Train.Domains)}); name one of them, e.g. add it to Data:LoaderOptions:Domains");
        if (data.Train.Domains.Count < 2)
            throw new ConfigurationException($"Recipe:Extend:Domain: '{domain}' is the data's only domain; the initial mixture needs at least one other");
        if (include) return data;
        var streams = data.Train.Domains.Where(d => d != domain).ToDictionary(d => d, d => data.Train[d].ToArray(), StringComparer.Ordinal);
        return data with
        {
            Train = TokenCorpus.FromStreams(streams),
            Validation = data.Validation?.Without(domain),
            Test = data.Test?.Without(domain),
            TrainDocuments = [.. data.TrainDocuments.Where(d => d.Domain != domain)],
        };
    }
}
