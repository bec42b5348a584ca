// A type the test plugins use from their private dependency.
namespace PluginMoE.TestPlugins.Helper;

public static class HelperText
{
    public static string Greeting => "helped";
}
