// Binds a configuration section onto an options class key by key, so that every error can name the full
// key path, the value and what is allowed (the stock binder reports only "failed to convert").
using System.Collections;
using System.Globalization;
using System.Reflection;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Microsoft.Extensions.Configuration;
using PluginMoE.Core.Composition;

namespace PluginMoE.Host.Configuration;

/// <summary>Configuration section to options instance, collecting every problem with its key path.</summary>
public static class SectionBinder
{
    /// <summary>Binds <paramref name="section"/> onto a new <typeparamref name="T"/>; problems are appended to <paramref name="errors"/>.</summary>
    public static T Bind<T>(IConfigurationSection section, List<string> errors) where T : new()
    {
        ArgumentNullException.ThrowIfNull(section);
        ArgumentNullException.ThrowIfNull(errors);
        var instance = new T();
        BindObject(instance, section, errors);
        return instance;
    }

    private static void BindObject(object target, IConfigurationSection section, List<string> errors)
    {
        // [JsonIgnore] members are filled by the code that uses the options (e.g. Training's Seed from Run:Seed), not by a profile.
        var properties = target.GetType().GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => p.CanWrite && p.GetIndexParameters().Length == 0 && p.GetCustomAttribute<JsonIgnoreAttribute>() is not { Condition: JsonIgnoreCondition.Always }).ToList();
        foreach (var child in section.GetChildren())
        {
            var property = properties.FirstOrDefault(p => string.Equals(p.Name, child.Key, StringComparison.OrdinalIgnoreCase));
            if (property is null)
            {
                var names = properties.Select(p => p.Name).ToList();
                errors.Add($"{child.Path}: unknown setting; {section.Path} accepts {string.Join(", ", names)}{NameSuggestions.Hint(child.Key, names)}");
                continue;
            }
            var type = property.PropertyType;
            if (type == typeof(JsonObject))
            {
                if (child.Value is { Length: > 0 } v)
                    errors.Add($"{child.Path}: value '{v}' is not allowed: it is a plugin's options section and needs keys, e.g. {child.Path}:Name=value");
                else property.SetValue(target, SectionJson.ToObject(child));
            }
            else if (IsScalar(type)) SetScalar(target, property, child, errors);
            else if (type.IsArray) property.SetValue(target, BindArray(type.GetElementType()!, child, errors));
            else if (type.IsGenericType && type.GetGenericTypeDefinition() is var g && (g == typeof(Dictionary<,>) || g == typeof(IReadOnlyDictionary<,>)))
                property.SetValue(target, BindDictionary(typeof(Dictionary<,>).MakeGenericType(type.GetGenericArguments()), child, errors));
            else
            {
                var nested = property.GetValue(target) ?? Activator.CreateInstance(type)!;
                BindObject(nested, child, errors);
                property.SetValue(target, nested);
            }
        }
    }

    private static bool IsScalar(Type t) => (Nullable.GetUnderlyingType(t) ?? t) is var u && (u.IsPrimitive || u == typeof(string) || u == typeof(double) || u == typeof(decimal));

    private static void SetScalar(object target, PropertyInfo property, IConfigurationSection child, List<string> errors)
    {
        if (child.GetChildren().Any())
        {
            errors.Add($"{child.Path}: expected a single {Describe(property.PropertyType)}, got a section with keys {string.Join(", ", child.GetChildren().Select(c => c.Key))}");
            return;
        }
        if (TryConvert(child.Value, property.PropertyType, out var value)) property.SetValue(target, value);
        else errors.Add($"{child.Path}: value '{child.Value}' is not allowed: expected {Describe(property.PropertyType)}");
    }

    private static Array BindArray(Type element, IConfigurationSection section, List<string> errors)
    {
        var items = new List<object?>();
        if (!IsScalar(element) && !element.IsArray)
        {
            // A list of sections (e.g. Model:Moe:ExpertGroups:0:Expert): each item bound as an object.
            foreach (var c in section.GetChildren().OrderBy(c => int.TryParse(c.Key, out var i) ? i : int.MaxValue))
            {
                var nested = Activator.CreateInstance(element)!;
                if (c.Value is { Length: > 0 } v) errors.Add($"{c.Path}: value '{v}' is not allowed: expected a section with keys, e.g. {c.Path}:{element.GetProperties()[0].Name}=...");
                else BindObject(nested, c, errors);
                items.Add(nested);
            }
            var list = Array.CreateInstance(element, items.Count);
            for (int i = 0; i < items.Count; i++) list.SetValue(items[i], i);
            return list;
        }
        // "a,b" on the command line or in an environment variable is a two-element list.
        if (section.Value is { Length: > 0 } csv && !section.GetChildren().Any())
        {
            foreach (var part in csv.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
                if (TryConvert(part, element, out var v)) items.Add(v);
                else errors.Add($"{section.Path}: element '{part}' is not allowed: expected {Describe(element)}");
        }
        foreach (var c in section.GetChildren().OrderBy(c => int.TryParse(c.Key, out var i) ? i : int.MaxValue))
        {
            if (TryConvert(c.Value, element, out var v)) items.Add(v);
            else errors.Add($"{c.Path}: value '{c.Value}' is not allowed: expected {Describe(element)}");
        }
        var array = Array.CreateInstance(element, items.Count);
        for (int i = 0; i < items.Count; i++) array.SetValue(items[i], i);
        return array;
    }

    private static object BindDictionary(Type type, IConfigurationSection section, List<string> errors)
    {
        var valueType = type.GetGenericArguments()[1];
        var dict = (IDictionary)Activator.CreateInstance(type, StringComparer.Ordinal)!;
        foreach (var c in section.GetChildren())
        {
            if (!valueType.IsArray && !IsScalar(valueType))
            {
                // A dictionary of sections (e.g. Recipe:Variants:<name>:<setting>): each value bound as an object.
                var nested = Activator.CreateInstance(valueType)!;
                BindObject(nested, c, errors);
                dict[c.Key] = nested;
                continue;
            }
            object? v = null;
            bool ok = valueType.IsArray ? (v = BindArray(valueType.GetElementType()!, c, errors)) is not null : TryConvert(c.Value, valueType, out v);
            if (ok) dict[c.Key] = v;
            else errors.Add($"{c.Path}: value '{c.Value}' is not allowed: expected {Describe(valueType)}");
        }
        return dict;
    }

    private static bool TryConvert(string? text, Type type, out object? value)
    {
        value = null;
        var underlying = Nullable.GetUnderlyingType(type);
        if (string.IsNullOrEmpty(text)) return underlying is not null || !type.IsValueType;
        var t = underlying ?? type;
        var c = CultureInfo.InvariantCulture;
        bool ok;
        (ok, value) = t switch
        {
            _ when t == typeof(string) => (true, text),
            _ when t == typeof(int) => (int.TryParse(text, NumberStyles.Integer, c, out var i), (object)i),
            _ when t == typeof(long) => (long.TryParse(text, NumberStyles.Integer, c, out var l), l),
            _ when t == typeof(double) => (double.TryParse(text, NumberStyles.Float, c, out var d) && double.IsFinite(d), d),
            _ when t == typeof(bool) => (bool.TryParse(text, out var b), b),
            _ => (false, null),
        };
        if (!ok) value = null;
        return ok;
    }

    /// <summary>What a value of <paramref name="t"/> looks like, for error messages.</summary>
    internal static string Describe(Type t) => (Nullable.GetUnderlyingType(t) ?? t) switch
    {
        var u when u == typeof(int) || u == typeof(long) => "a whole number",
        var u when u == typeof(double) => "a finite number such as 0.001 or 1e-3",
        var u when u == typeof(bool) => "true or false",
        var u when u == typeof(string) => "a string",
        var u => u.Name,
    };
}
