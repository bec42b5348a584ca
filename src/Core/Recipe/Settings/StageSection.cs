// A stage's own section of a profile (Recipe:Stages:<stage>): today its Training keys, which StageTraining applies
// over the shared Training section for that stage.
using System.Text.Json.Nodes;

namespace PluginMoE.Core.Recipe.Settings;

/// <summary>A stage's own settings in a profile (<c>Recipe:Stages:&lt;stage&gt;</c>).</summary>
public sealed class StageSection
{
    /// <summary>Training keys that replace the shared <c>Training</c> section's for this stage (see <see cref="StageTraining"/>).</summary>
    public JsonObject? Training { get; set; }
}
