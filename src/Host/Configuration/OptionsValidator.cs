// DataAnnotations validation of bound options (nested classes included), with messages that give the full
// key path, the value and what is allowed.
using System.ComponentModel.DataAnnotations;
using System.Globalization;
using System.Reflection;
using System.Text.Json;

namespace PluginMoE.Host.Configuration;

/// <summary>Validates options objects and words each failure as "Key:Path: value X is not allowed: ...".</summary>
public static class OptionsValidator
{
    /// <summary>Validates <paramref name="options"/> (bound from <paramref name="path"/>) and its nested option classes; appends problems to <paramref name="errors"/>.</summary>
    public static void Validate(object options, string path, List<string> errors)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(errors);
        var results = new List<ValidationResult>();
        var context = new ValidationContext(options);
        Validator.TryValidateObject(options, context, results, validateAllProperties: true);
        // DataAnnotations skips IValidatableObject when an attribute failed, which would hide the cross-field problems
        // until the next attempt; run it anyway, leaving out what it says about members already reported.
        if (results.Count > 0 && options is IValidatableObject validatable)
        {
            var reported = results.SelectMany(r => r.MemberNames).ToHashSet(StringComparer.Ordinal);
            try
            {
                results.AddRange(validatable.Validate(context).Where(r => r != ValidationResult.Success && !r.MemberNames.Any(reported.Contains)).ToList());
            }
            catch (ArithmeticException)
            {
                // A cross-field check divided by a value that is already reported as out of range.
            }
        }
        foreach (var r in results)
        {
            string member = r.MemberNames.FirstOrDefault() ?? "";
            var (value, attribute) = Lookup(options, member, r);
            string why = attribute switch
            {
                RangeAttribute range => $"allowed values are {Format(range.Minimum)} to {Format(range.Maximum)}",
                RequiredAttribute => "a value is required",
                MinLengthAttribute min => $"at least {min.Length} item(s) are required",
                _ => r.ErrorMessage ?? "invalid",
            };
            errors.Add($"{path}:{member}: value {value} is not allowed: {why}");
        }
        foreach (var p in options.GetType().GetProperties(BindingFlags.Public | BindingFlags.Instance))
            if (p.PropertyType.IsClass && p.PropertyType != typeof(string) && IsOptionsNamespace(p.PropertyType.Namespace)
                && p.GetIndexParameters().Length == 0 && p.GetValue(options) is { } nested)
                Validate(nested, $"{path}:{p.Name}", errors);
    }

    // Nested options classes (Model:Moe, Model:Moe:ExpertGroups) are validated too: the host's sections and the recipe's (Core).
    private static bool IsOptionsNamespace(string? ns) =>
        ns == typeof(OptionsValidator).Namespace || ns == typeof(PluginMoE.Core.Recipe.Settings.ModelOptions).Namespace;

    // The value shown in the message and the attribute that failed (null for IValidatableObject results).
    private static (string Value, ValidationAttribute? Attribute) Lookup(object options, string member, ValidationResult r)
    {
        object? target = options;
        PropertyInfo? property = null;
        foreach (var part in member.Split(':', StringSplitOptions.RemoveEmptyEntries))
        {
            if (target is null) break;
            if (target is System.Collections.IDictionary entries)
            {
                // A dictionary of sections (Recipe:Variants:<name>:<setting>): the entry by its key.
                target = entries.Contains(part) ? entries[part] : null;
                continue;
            }
            property = target.GetType().GetProperty(part);
            target = property?.GetValue(target);
        }
        var attribute = property?.GetCustomAttributes<ValidationAttribute>().FirstOrDefault(a => a.FormatErrorMessage(property.Name) == r.ErrorMessage);
        string value = target switch
        {
            null => "(empty)",
            string s => $"'{s}'",
            IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
            _ => JsonSerializer.Serialize(target),
        };
        return (value, attribute);
    }

    private static string Format(object o) => o is IFormattable f ? f.ToString(null, CultureInfo.InvariantCulture) : o.ToString() ?? "";
}
