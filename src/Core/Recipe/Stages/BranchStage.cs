// Recipe stage "branch": one dense expert per domain, each a copy of the seed trained on its own domain for
// Recipe:BranchSteps (BTX's branch step). Experts are independent units: a rerun trains only the missing ones, a
// per-domain job (`--domain d`) trains only its own, and `--parallel N` trains them (or those of `--domain a,b`) as N
// child processes, each such a job. Whoever trains an expert holds its domain lock (RunLock). The stage is complete only when every domain's
// expert is present and verified (config.json, recorded SHA-256 and tensor shapes, dense): a job that finds others
// still missing leaves the stage open and says which domains, with the command that trains each.
using System.Text.Json;
using System.Text.Json.Nodes;
using PluginMoE.Core.Checkpoints;
using PluginMoE.Core.Composition;
using PluginMoE.Core.Recipe.Runs;

namespace PluginMoE.Core.Recipe.Stages;

/// <summary>Trains branch/&lt;domain&gt;/model for every domain (or the domains of this job).</summary>
public sealed class BranchStage : RecipeStage, IPartialStage
{
    /// <summary>The stage's name.</summary>
    public const string StageName = "branch";

    /// <summary>File in the stage folder listing every domain of the data (written when the stage runs).</summary>
    public const string DomainsFile = "domains.json";

    /// <inheritdoc/>
    public override string Name => StageName;

    /// <inheritdoc/>
    public override void Run(StageContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        string seed = Path.Combine(Input(context, "seed"), "dense");
        string dir = context.Run.Stage(Name);
        var jobs = context.Branch;
        var data = LoadData(context, cancellationToken);
        var all = data.Train.Domains;
        var unknown = jobs.Domains.Where(d => !all.Contains(d, StringComparer.Ordinal)).ToList();
        if (unknown.Count > 0)
            throw new ConfigurationException(
                $"--domain: {string.Join(", ", unknown.Select(d => $"'{d}'"))} {(unknown.Count == 1 ? "is not a domain" : "are not domains")} of this profile's data; " +
                $"its domains are: {string.Join(", ", all)}");
        AtomicFile.WriteAllText(Path.Combine(dir, DomainsFile), new JsonObject { ["domains"] = new JsonArray([.. all.Select(d => (JsonNode)d)]) }.ToJsonString());

        bool perDomainJob = jobs.Domains.Count > 0;
        var mine = perDomainJob ? jobs.Domains : all;
        var todo = mine.Where(d => !Directory.Exists(Path.Combine(dir, d))).ToList();
        foreach (var domain in mine.Except(todo)) context.Progress.Info($"branch: expert '{domain}' already trained");
        if (jobs.Parallel > 1 && todo.Count > 0 && jobs.Children is { } children)
            children.Run(context, todo, cancellationToken);
        else
            foreach (var domain in todo)
            {
                cancellationToken.ThrowIfCancellationRequested();
                // A per-domain job holds its domains' locks already (taken with the run folder's).
                using var domainLock = perDomainJob ? null : RunLock.AcquireDomain(context.Run.Path, domain, context.Branch.Command);
                bool ran = Unit(Path.Combine(dir, domain), unit =>
                {
                    var model = LoadModel(context, seed);
                    Train(context, $"expert '{domain}'", model, OneDomain(data.Train, domain), context.Settings.Recipe.BranchSteps, unit, cancellationToken);
                    SaveModel(unit, model, data);
                });
                if (!ran) context.Progress.Info($"branch: expert '{domain}' already trained");
            }

        // This job's experts must verify; those of other jobs may still be on their way (see Incomplete).
        var (_, broken) = Check(dir, perDomainJob ? mine : all);
        if (broken.Count > 0)
            throw new InvalidDataException(
                $"stage 'branch': {string.Join("; ", broken.Select(b => b.Problem))}; delete the expert's folder and run again to train it afresh");
    }

    /// <inheritdoc/>
    public string? Incomplete(StageContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        string dir = Path.Combine(context.Run.Path, Name);
        var domains = Domains(dir);
        if (domains is null) return $"{DomainsFile} is missing in {dir}";
        var (missing, broken) = Check(dir, domains);
        if (missing.Count == 0 && broken.Count == 0)
        {
            context.Progress.Info($"branch: all {domains.Count} experts present and verified");
            return null;
        }
        return Describe(context, domains.Count, missing, broken);
    }

    /// <summary>
    /// Why a stage that needs the experts (upcycle) cannot start: the domains without an expert and the command that
    /// trains each, or, when all are present, the command that verifies them and completes the stage.
    /// </summary>
    public static string Missing(StageContext context, string consumer)
    {
        ArgumentNullException.ThrowIfNull(context);
        string dir = Path.Combine(context.Run.Path, StageName);
        var domains = Domains(dir);
        if (domains is null) return $"run it first (--stages {StageName},{consumer})";
        var missing = domains.Where(d => !Directory.Exists(Path.Combine(dir, d))).ToList();
        if (missing.Count == 0)
            return $"every expert is present but the stage has not verified them; run `{context.Branch.CommandFor(string.Join(",", domains))}`, which verifies them and completes the stage";
        return Describe(context, domains.Count, missing, []);
    }

    private static string Describe(StageContext context, int total, List<string> missing, List<(string Domain, string Problem)> broken)
    {
        var parts = new List<string>();
        if (missing.Count > 0)
            parts.Add($"{total - missing.Count - broken.Count} of {total} experts are in place; no expert yet for " +
                string.Join(", ", missing.Select(d => $"domain '{d}' (train it with: {context.Branch.CommandFor(d)})")));
        foreach (var (domain, problem) in broken)
            parts.Add($"{problem}; delete that folder and train it again with: {context.Branch.CommandFor(domain)}");
        return string.Join("; ", parts);
    }

    // Every domain of the data, as recorded by the last job that ran the stage.
    private static List<string>? Domains(string dir)
    {
        string path = Path.Combine(dir, DomainsFile);
        try
        {
            return File.Exists(path) && JsonNode.Parse(File.ReadAllText(path))?["domains"] is JsonArray a ? [.. a.Select(n => n!.GetValue<string>())] : null;
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or IOException)
        {
            return null;
        }
    }

    // The domains without an expert folder, and those whose expert does not verify (with why).
    private static (List<string> Missing, List<(string Domain, string Problem)> Broken) Check(string dir, IEnumerable<string> domains)
    {
        var missing = new List<string>();
        var broken = new List<(string, string)>();
        foreach (var domain in domains)
        {
            string model = Path.Combine(dir, domain, ModelFolder);
            if (!Directory.Exists(Path.Combine(dir, domain)))
            {
                missing.Add(domain);
                continue;
            }
            try
            {
                using var checkpoint = MappedCheckpoint.Open(model);
                if (!checkpoint.ChecksumRecorded) broken.Add((domain, $"expert '{domain}' ({model}) has no recorded SHA-256"));
                else if (checkpoint.Checkpoint.Config.Moe is not null) broken.Add((domain, $"expert '{domain}' ({model}) is an MoE; experts are dense"));
            }
            catch (Exception e) when (e is CheckpointFormatException or IOException or UnauthorizedAccessException)
            {
                broken.Add((domain, $"expert '{domain}' ({model}) does not verify: {e.Message}"));
            }
        }
        return (missing, broken);
    }
}
