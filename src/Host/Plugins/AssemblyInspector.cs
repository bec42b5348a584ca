// Reads an assembly's identity and references from its metadata without loading it, to tell plugins
// (assemblies that reference PluginMoE.Abstractions) from their dependencies and to check the contract version first.
using System.Reflection;
using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;

namespace PluginMoE.Host.Plugins;

/// <summary>What the metadata of a DLL says, read without loading it.</summary>
/// <param name="Name">The assembly's simple name.</param>
/// <param name="References">The assemblies it references.</param>
internal sealed record AssemblyFacts(string Name, IReadOnlyList<AssemblyName> References)
{
    /// <summary>The referenced PluginMoE.Abstractions version, or null when the assembly is not a plugin.</summary>
    public Version? AbstractionsVersion => References.FirstOrDefault(r => r.Name == SharedAssemblies.Abstractions)?.Version;
}

/// <summary>Reads <see cref="AssemblyFacts"/> with System.Reflection.Metadata.</summary>
internal static class AssemblyInspector
{
    /// <summary>The facts of the DLL at <paramref name="path"/>.</summary>
    /// <exception cref="BadImageFormatException">The file is not a .NET assembly.</exception>
    public static AssemblyFacts Read(string path)
    {
        using var stream = File.OpenRead(path);
        using var pe = new PEReader(stream);
        if (!pe.HasMetadata) throw new BadImageFormatException("the file has no .NET metadata (a native library?)");
        var md = pe.GetMetadataReader();
        if (!md.IsAssembly) throw new BadImageFormatException("the file is a .NET module, not an assembly");
        var name = md.GetString(md.GetAssemblyDefinition().Name);
        var references = md.AssemblyReferences.Select(h => md.GetAssemblyReference(h).GetAssemblyName()).ToList();
        return new AssemblyFacts(name, references);
    }
}
