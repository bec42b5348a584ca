// Binds a plugin's JSON options onto its options class (System.Text.Json, key by key so errors can name
// the key) and validates the result with DataAnnotations.
using System.ComponentModel.DataAnnotations;
using System.Reflection;
using System.Text.Json;
using System.Text.Json.Nodes;
using PluginMoE.Abstractions.Composition;

namespace PluginMoE.Core.Composition;

/// <summary>JSON options to a validated options instance, with errors that name the key path.</summary>
internal static class OptionsBinder
{
    private static readonly JsonSerializerOptions Json = new()
    {
        PropertyNameCaseInsensitive = true,
        // Configuration providers (environment variables, command line) deliver every value as a string.
        NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowReadingFromString,
    };

    /// <summary>
    /// Binds and validates <paramref name="options"/>; every problem (unknown keys, values of the wrong type, values the
    /// options class rejects) is one line of the <see cref="ArgumentException"/>'s message, naming the key path and the plugin.
    /// </summary>
    public static object? Bind(IPluginFactory factory, JsonObject? options, string keyPath)
    {
        ArgumentNullException.ThrowIfNull(factory);
        keyPath ??= "";
        var type = factory.OptionsType;
        var plugin = PluginName(factory);
        if (type is null)
        {
            if (options is { Count: > 0 })
                throw new ArgumentException(
                    $"{keyPath.TrimEnd('.')}: {plugin} takes no options, but {string.Join(", ", options.Select(kv => $"'{kv.Key}'"))} were given; remove them");
            return null;
        }

        var instance = Activator.CreateInstance(type)
            ?? throw new InvalidOperationException($"{keyPath.TrimEnd('.')}: could not create the options of {plugin} (its options class {type.Name} needs a public parameterless constructor)");
        var properties = type.GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.CanWrite).ToList();
        var errors = new List<string>();
        var failed = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (key, node) in options ?? [])
        {
            var property = properties.FirstOrDefault(p => string.Equals(p.Name, key, StringComparison.OrdinalIgnoreCase));
            if (property is null)
            {
                var known = string.Join(", ", properties.Select(p => p.Name));
                var closest = NameSuggestions.Closest(key, properties.Select(p => p.Name));
                errors.Add($"{Path(keyPath, key)}: unknown option of {plugin}; known options: {known}" +
                    (closest is null ? "" : $"; did you mean '{closest}'?"));
                continue;
            }
            try { property.SetValue(instance, Convert(node, property, keyPath, key, plugin)); }
            catch (ArgumentException e)
            {
                errors.Add(e.Message);
                failed.Add(property.Name);
            }
        }

        // Values that failed to convert kept their defaults; validating those would only add noise.
        var results = new List<ValidationResult>();
        Validator.TryValidateObject(instance, new ValidationContext(instance), results, validateAllProperties: true);
        errors.AddRange(results.Where(r => !failed.Contains(r.MemberNames.FirstOrDefault() ?? "")).Select(r => Describe(r, instance, properties, keyPath, plugin)));
        if (errors.Count > 0) throw new ArgumentException(string.Join("\n", errors));
        return instance;
    }

    // "router plugin 'linear'" from the factory's export attribute; the class name for a factory that has none.
    private static string PluginName(IPluginFactory factory)
    {
        var export = factory.GetType().GetCustomAttributes(typeof(PluginExportAttribute), inherit: false).OfType<PluginExportAttribute>().FirstOrDefault();
        if (export is null) return $"plugin {factory.GetType().Name}";
        string kind = string.Concat(export.Kind.Select((ch, i) => i > 0 && char.IsUpper(ch) ? " " + char.ToLowerInvariant(ch) : char.ToLowerInvariant(ch).ToString()));
        return $"{kind} plugin '{export.Name}'";
    }

    private static object? Convert(JsonNode? node, PropertyInfo property, string keyPath, string key, string plugin)
    {
        var target = property.PropertyType;
        try
        {
            // A "true"/"false" string from a configuration provider binds to a bool, as the configuration binder does.
            if ((target == typeof(bool) || target == typeof(bool?)) && node is JsonValue v && v.TryGetValue<string>(out var s) && bool.TryParse(s, out var b))
                return b;
            return node is null ? null : node.Deserialize(target, Json);
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException)
        {
            throw new ArgumentException(
                $"{Path(keyPath, key)}: value {node?.ToJsonString() ?? "null"} is not a valid {TypeName(target)} ({plugin})", e);
        }
    }

    private static string Describe(ValidationResult r, object instance, List<PropertyInfo> properties, string keyPath, string plugin)
    {
        var member = r.MemberNames.FirstOrDefault() ?? "";
        var property = properties.FirstOrDefault(p => p.Name == member);
        var value = property?.GetValue(instance);
        var shown = value is null ? "null" : JsonSerializer.Serialize(value, property!.PropertyType);
        var allowed = property?.GetCustomAttribute<AllowedValuesAttribute>() is { } a
            ? $"; allowed: {string.Join(", ", a.Values.Select(x => x?.ToString() ?? "null"))}"
            : "";
        return $"{Path(keyPath, member)}: value {shown} is invalid: {r.ErrorMessage}{allowed} ({plugin})";
    }

    // "Model:Moe:RouterOptions:Normalise"; a key path ending in '.' (config.json keys) joins with '.' instead.
    private static string Path(string keyPath, string key) => keyPath.Length == 0 || keyPath.EndsWith('.') ? keyPath + key : $"{keyPath}:{key}";

    private static string TypeName(Type t) => Nullable.GetUnderlyingType(t) is { } u ? TypeName(u) : t.Name switch
    {
        "Int32" => "integer",
        "Int64" => "integer",
        "Double" or "Single" => "number",
        "Boolean" => "boolean (true/false)",
        "String" => "string",
        _ => t.Name,
    };
}
