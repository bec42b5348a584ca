// `pluginmoe merge --strategy <name> --seed DIR --experts DIR[,DIR...] --out DIR [--router NAME] [--domains a,b]
// [--Merge:Option=value ...]`: builds an MoE (btx, nexus, sparse-upcycle) or a dense average from checkpoint
// folders, like mergekit: inputs are validated before anything is written, read memory-mapped one tensor at
// a time, and the result is written atomically with its provenance (sources with SHA-256, strategy, options).
using System.CommandLine;
using System.Globalization;
using System.Text.Json.Nodes;
using PluginMoE.Abstractions.Checkpoints;
using PluginMoE.Abstractions.Merging;
using PluginMoE.Abstractions.Routing;
using PluginMoE.Core.Checkpoints;
using PluginMoE.Core.Composition;

namespace PluginMoE.Host.Cli;

/// <summary>The <c>merge</c> command.</summary>
public static class MergeCommand
{
    /// <summary>The arguments of one merge.</summary>
    public sealed record Arguments(string Strategy, string? Seed, string? Experts, string Out)
    {
        /// <summary>Router plugin of the MoE (default: <c>nexus</c> for the nexus strategy, else <c>linear</c>).</summary>
        public string? Router { get; init; }

        /// <summary>Experts per token (default 1 for nexus, else 2).</summary>
        public int? TopK { get; init; }

        /// <summary>Routed experts of sparse-upcycle.</summary>
        public int? NumExperts { get; init; }

        /// <summary>Comma-separated domain names (default: the expert folder names; a folder named 'model' takes its parent's name).</summary>
        public string? Domains { get; init; }

        /// <summary>Safetensors file with one domain embedding per domain.</summary>
        public string? Embeddings { get; init; }

        /// <summary>Seed of the router initialisation.</summary>
        public long InitSeed { get; init; }

        /// <summary>Replace an existing output folder.</summary>
        public bool Overwrite { get; init; }

        /// <summary>--Merge:* and --RouterOptions:* tokens.</summary>
        public IReadOnlyList<string> Overrides { get; init; } = [];
    }

    /// <summary>Builds the command.</summary>
    public static Command Create(CliEnvironment env, Option<bool> verbose)
    {
        ArgumentNullException.ThrowIfNull(env);
        var strategy = new Option<string>("--strategy") { Description = "Merge strategy plugin: btx, nexus, average, sparse-upcycle (or a third-party one)", Required = true };
        var seed = new Option<string?>("--seed") { Description = "The dense seed checkpoint folder the experts were branched from (average: optional architecture reference)" };
        var experts = new Option<string?>("--experts") { Description = "Comma-separated dense expert checkpoint folders, in expert order" };
        var output = new Option<string>("--out") { Description = "Folder for the merged checkpoint (must not exist unless --overwrite)", Required = true };
        var router = new Option<string?>("--router") { Description = "Router plugin of the MoE (default: nexus for the nexus strategy, linear otherwise); its options as --RouterOptions:<Option>=<value>" };
        var topK = new Option<int?>("--top-k") { Description = "Experts per token (default: 1 for nexus, 2 otherwise)" };
        var numExperts = new Option<int?>("--num-experts") { Description = "Number of expert copies (sparse-upcycle)" };
        var domains = new Option<string?>("--domains") { Description = "Comma-separated domain names of the experts (default: the expert folder names; a folder named 'model' takes its parent's name)" };
        var embeddings = new Option<string?>("--embeddings") { Description = "Safetensors file with one domain embedding (m) per domain, named by domain (nexus)" };
        var initSeed = new Option<long>("--init-seed") { Description = "Seed of the router initialisation (default 0)" };
        var overwrite = new Option<bool>("--overwrite") { Description = "Replace the output folder if it exists" };
        var command = new Command("merge", "Merge dense checkpoints into an MoE or a dense average (strategy options: --Merge:<Option>=<value>)")
        {
            strategy, seed, experts, output, router, topK, numExperts, domains, embeddings, initSeed, overwrite,
        };
        command.TreatUnmatchedTokensAsErrors = false;
        command.SetAction((parse, ct) => Task.FromResult(CommandAction.Execute(env, parse.GetValue(verbose), () =>
            Run(env, new Arguments(parse.GetValue(strategy)!, parse.GetValue(seed), parse.GetValue(experts), parse.GetValue(output)!)
            {
                Router = parse.GetValue(router),
                TopK = parse.GetValue(topK),
                NumExperts = parse.GetValue(numExperts),
                Domains = parse.GetValue(domains),
                Embeddings = parse.GetValue(embeddings),
                InitSeed = parse.GetValue(initSeed),
                Overwrite = parse.GetValue(overwrite),
                Overrides = parse.UnmatchedTokens,
            }))));
        return command;
    }

    /// <summary>Runs one merge; returns the exit code.</summary>
    public static int Run(CliEnvironment env, Arguments args)
    {
        ArgumentNullException.ThrowIfNull(env);
        ArgumentNullException.ThrowIfNull(args);
        var expertDirs = (args.Experts ?? "").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        bool isAverage = string.Equals(args.Strategy, "average", StringComparison.OrdinalIgnoreCase);
        if (args.Seed is null && !(isAverage && expertDirs.Length > 0))
            throw new ConfigurationException("--seed: required: the dense seed checkpoint folder (only 'average' can do without, taking the first expert as the architecture reference)");
        var domainNames = args.Domains is { } d
            ? d.Split(',', StringSplitOptions.TrimEntries)
            : expertDirs.Select(x => MergeSupport.DomainFromFolder(env, x)).ToArray();
        if (domainNames.Length != expertDirs.Length)
            throw new ConfigurationException($"--domains: {domainNames.Length} names for {expertDirs.Length} experts; give one domain name per expert folder, in the same order");
        var target = MergeSupport.CheckOut(env, args.Out, args.Overwrite, [.. expertDirs, .. args.Seed is null ? Array.Empty<string>() : [args.Seed]]);

        // Plugins and options first: every usage error is reported before any checkpoint is read.
        var plugins = MergeSupport.Plugins(env);
        var strategy = MergeSupport.Strategy(plugins, args.Strategy, "--strategy");
        if (!strategy.TakesExperts && args.NumExperts is null)
            throw new ConfigurationException($"--num-experts: required by {args.Strategy} (how many copies of the seed's FFN become experts), e.g. --num-experts 8");
        var (mergeJson, routerJson) = MergeSupport.Overrides(args.Overrides);
        var options = MergeSupport.Bind(plugins.Catalog, strategy, mergeJson, "Merge");
        bool nexus = string.Equals(args.Strategy, "nexus", StringComparison.OrdinalIgnoreCase);
        var moe = new MoeConfig
        {
            Router = args.Router ?? (nexus ? "nexus" : "linear"),
            RouterOptions = routerJson,
            TopK = args.TopK ?? (nexus ? 1 : 2),
            NumExperts = args.NumExperts ?? Math.Max(expertDirs.Length, 1),
            LoadBalanceWeight = nexus ? 0.05 : new MoeConfig().LoadBalanceWeight,
        };
        object? routerOptions = isAverage ? null : MergeSupport.CheckRouter(plugins.Catalog, moe.Router, routerJson); // bound once

        var opened = new List<MappedCheckpoint>();
        try
        {
            MappedCheckpoint? seed = args.Seed is null ? null : Opened(opened, MergeSupport.Open(env, "--seed", args.Seed));
            var experts = expertDirs.Select(x => Opened(opened, MergeSupport.Open(env, "--experts", x))).ToList();
            var embeddings = args.Embeddings is null ? null : MergeSupport.Embeddings(env, "--embeddings", args.Embeddings, domainNames);
            var sources = experts.Select((e, j) => new ExpertSource(domainNames[j], e.Checkpoint, embeddings?[domainNames[j]])).ToList();
            var request = new MergeRequest((seed ?? experts[0]).Checkpoint, sources, moe) { Options = options };

            ModelCheckpoint merged;
            try { merged = strategy.Merge(request); }
            catch (Exception e) when (e is ArgumentException or NotSupportedException)
            {
                throw new ConfigurationException(e.Message, e);
            }
            var routers = new List<RouterModule>();
            if (merged.Config.Moe is not null)
                (merged, routers) = MergeSupport.AttachRouters(merged, plugins.Catalog, args.InitSeed, routerOptions);
            var counts = MergeSupport.Count(merged, routers);

            var provenance = new JsonObject
            {
                ["command"] = "merge",
                ["strategy"] = args.Strategy,
                ["options"] = PluginOptionsJson.From(options),
                ["created_utc"] = env.Now().ToString("O", CultureInfo.InvariantCulture),
                ["sources"] = new JsonArray([
                    .. seed is null ? Array.Empty<JsonNode>() : [MergeSupport.Source("seed", seed)],
                    .. experts.Select((e, j) => (JsonNode)MergeSupport.Source("expert", e, domainNames[j]))]),
            };
            if (merged.Config.Moe is { } m)
            {
                provenance["router"] = m.Router;
                provenance["router_options"] = routerJson?.DeepClone();
                provenance["init_seed"] = args.InitSeed;
            }
            if (args.Embeddings is not null) provenance["embeddings"] = MergeSupport.FileSource("embeddings", Path.GetFullPath(args.Embeddings, env.WorkingDirectory));
            var layout = MergeSupport.Write(target, merged, provenance, args.Overwrite);

            var what = merged.Config.Moe is { } mm
                ? $"an MoE of {mm.NumExperts} experts (top-{mm.TopK}, router '{mm.Router}'{(mm.SharedExpertIntermediateSize is > 0 ? ", shared expert" : "")})"
                : "a dense model";
            env.Out.WriteLine($"merged with '{args.Strategy}' into {what}: {target} ({layout} layout)");
            env.Out.WriteLine(MergeSupport.Describe(counts));
            return ExitCodes.Success;
        }
        finally
        {
            foreach (var o in opened) o.Dispose();
        }
    }

    private static MappedCheckpoint Opened(List<MappedCheckpoint> opened, MappedCheckpoint c)
    {
        opened.Add(c);
        return c;
    }
}
