// Profile section "Recipe": Core's RecipeSettings bound from the configuration (the schema itself lives in Core).
using PluginMoE.Core.Recipe;

namespace PluginMoE.Host.Configuration;

/// <summary>The <c>Recipe</c> section: budgets of the recipe's stages and the variants compared.</summary>
public sealed class RecipeOptions : RecipeSettings, ISectionOptions
{
    /// <inheritdoc/>
    public static string SectionName => "Recipe";
}
