using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;

namespace Acr.Host.PluginLoading;

/// <summary>What a plugin assembly declares, read from its metadata without loading it.</summary>
/// <param name="AssemblyName">The assembly's simple name.</param>
/// <param name="Version">Its assembly version.</param>
/// <param name="ApiMajor">Declared plugin-API major version, or null when the attribute is missing.</param>
/// <param name="ApiMinor">Declared plugin-API minor version, or null when the attribute is missing.</param>
public sealed record PluginAssemblyInfo(string AssemblyName, Version Version, int? ApiMajor, int? ApiMinor);

/// <summary>
/// Reads a candidate plugin assembly's identity and <c>[assembly: AcrPluginApi(major, minor)]</c> with
/// System.Reflection.Metadata, so an incompatible or non-.NET file is refused before anything is loaded.
/// </summary>
public static class PluginAssemblyInspector
{
    private const string AttributeNamespace = "Acr.Plugins";
    private const string AttributeName = "AcrPluginApiAttribute";

    /// <summary>Inspects <paramref name="path"/>.</summary>
    /// <param name="path">A file that should be a .NET assembly.</param>
    /// <exception cref="BadImageFormatException">It is not a .NET assembly.</exception>
    public static PluginAssemblyInfo Inspect(string path)
    {
        using var stream = File.OpenRead(path);
        PEReader pe;
        try
        {
            pe = new PEReader(stream);
            if (!pe.HasMetadata)
            {
                throw new BadImageFormatException($"'{Path.GetFileName(path)}' is a native (PE) file without .NET metadata, not a .NET assembly.");
            }
        }
        catch (BadImageFormatException e) when (e.Message.Contains("not a .NET", StringComparison.Ordinal))
        {
            throw;
        }
        catch (Exception e) when (e is BadImageFormatException or InvalidOperationException)
        {
            throw new BadImageFormatException($"'{Path.GetFileName(path)}' is not a .NET assembly ({e.Message}).", e);
        }

        using (pe)
        {
            MetadataReader md;
            try
            {
                md = pe.GetMetadataReader();
                if (!md.IsAssembly)
                {
                    throw new BadImageFormatException($"'{Path.GetFileName(path)}' is a .NET module, not an assembly.");
                }
            }
            catch (Exception e) when (e is BadImageFormatException or InvalidOperationException)
            {
                throw new BadImageFormatException($"'{Path.GetFileName(path)}' is not a .NET assembly ({e.Message}).", e);
            }

            var definition = md.GetAssemblyDefinition();
            int? major = null, minor = null;
            foreach (var handle in definition.GetCustomAttributes())
            {
                var attribute = md.GetCustomAttribute(handle);
                if (!IsPluginApiAttribute(md, attribute))
                {
                    continue;
                }

                var blob = md.GetBlobReader(attribute.Value);
                if (blob.ReadUInt16() == 0x0001 && blob.RemainingBytes >= 8)
                {
                    major = blob.ReadInt32();
                    minor = blob.ReadInt32();
                }
            }

            return new PluginAssemblyInfo(md.GetString(definition.Name), definition.Version, major, minor);
        }
    }

    private static bool IsPluginApiAttribute(MetadataReader md, CustomAttribute attribute)
    {
        EntityHandle type;
        if (attribute.Constructor.Kind == HandleKind.MemberReference)
        {
            type = md.GetMemberReference((MemberReferenceHandle)attribute.Constructor).Parent;
        }
        else if (attribute.Constructor.Kind == HandleKind.MethodDefinition)
        {
            type = md.GetMethodDefinition((MethodDefinitionHandle)attribute.Constructor).GetDeclaringType();
        }
        else
        {
            return false;
        }

        return type.Kind switch
        {
            HandleKind.TypeReference => Matches(md, md.GetTypeReference((TypeReferenceHandle)type).Namespace, md.GetTypeReference((TypeReferenceHandle)type).Name),
            HandleKind.TypeDefinition => Matches(md, md.GetTypeDefinition((TypeDefinitionHandle)type).Namespace, md.GetTypeDefinition((TypeDefinitionHandle)type).Name),
            _ => false,
        };
    }

    private static bool Matches(MetadataReader md, StringHandle ns, StringHandle name) =>
        md.StringComparer.Equals(ns, AttributeNamespace) && md.StringComparer.Equals(name, AttributeName);
}
