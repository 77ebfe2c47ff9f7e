using System.Reflection;
using System.Text;
using Acr.Plugins;

namespace Acr.Abstractions.Tests;

/// <summary>
/// The plugin contract's public surface is pinned in <c>PublicApi.txt</c>, headed by the <see cref="PluginApi"/> version it
/// belongs to: a change to the surface must be deliberate. Removing or changing a member needs a new major version, adding
/// one a new minor version (the rules of <see cref="PluginApi"/>); then regenerate the file with
/// <c>ACR_UPDATE_API_BASELINE=1 dotnet test tests/Acr.Abstractions.Tests -c Release --filter PublicApiTests</c>.
/// </summary>
public class PublicApiTests
{
    private static readonly string BaselinePath = Path.Combine(SourceDirectory(), "PublicApi.txt");

    [Fact]
    public void The_public_surface_matches_the_baseline_of_its_plugin_api_version()
    {
        var actual = Surface();
        var header = $"# Acr.Abstractions public surface, plugin API {PluginApi.Major}.{PluginApi.Minor}";
        if (Environment.GetEnvironmentVariable("ACR_UPDATE_API_BASELINE") == "1")
        {
            File.WriteAllLines(BaselinePath, [header, .. actual]);
        }

        var lines = File.ReadAllLines(BaselinePath);
        var baseline = lines.Skip(1).ToArray();
        var removed = baseline.Except(actual, StringComparer.Ordinal).ToArray();
        var added = actual.Except(baseline, StringComparer.Ordinal).ToArray();
        if (removed.Length == 0 && added.Length == 0)
        {
            Assert.Equal(header, lines[0]);
            return;
        }

        var message = new StringBuilder($"The public surface of Acr.Abstractions differs from {BaselinePath} ({lines[0]}).\n");
        message.Append(removed.Length > 0
            ? $"Removed or changed ({removed.Length}; needs a new PluginApi.Major):\n  {string.Join("\n  ", removed.Take(40))}\n"
            : string.Empty);
        message.Append(added.Length > 0
            ? $"Added ({added.Length}; needs a new PluginApi.Minor at least):\n  {string.Join("\n  ", added.Take(40))}\n"
            : string.Empty);
        message.Append("If this is intended, bump the version in PluginApi.cs and regenerate the baseline with ACR_UPDATE_API_BASELINE=1.");
        Assert.Fail(message.ToString());
    }

    [Fact]
    public void The_surface_lists_the_contract_members_a_plugin_relies_on()
    {
        // Not vacuous: the listing sees members, protected ones included.
        var surface = Surface();
        Assert.Contains(surface, l => l.StartsWith("Acr.Compute.ComputeBackend protected abstract Acr.Tensors.DeviceBuffer AllocateCore(", StringComparison.Ordinal));
        Assert.Contains(surface, l => l.StartsWith("Acr.Compute.BackendOps public static System.Void Gemm(", StringComparison.Ordinal));
        Assert.Contains(surface, l => l.StartsWith("Acr.Plugins.IPluginRegistry public abstract System.Void AddOp", StringComparison.Ordinal));
    }

    private static string[] Surface()
    {
        const BindingFlags all = BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly;
        var lines = new List<string>();
        foreach (var type in typeof(PluginApi).Assembly.GetExportedTypes().Where(t => !t.FullName!.Contains('<', StringComparison.Ordinal)))
        {
            lines.Add($"{Name(type)} {Kind(type)}{(type.BaseType is { } b && b != typeof(object) && b != typeof(ValueType) ? $" : {Name(b)}" : "")}");
            foreach (var member in type.GetMembers(all))
            {
                if (Describe(member) is { } text)
                {
                    lines.Add($"{Name(type)} {text}");
                }
            }
        }

        return [.. lines.Distinct().Order(StringComparer.Ordinal)];
    }

    private static string Kind(Type t) =>
        t.IsEnum ? "enum" : t.IsInterface ? "interface" : t.IsValueType ? "struct" : t.IsAbstract && t.IsSealed ? "static class" : t.IsAbstract ? "abstract class" : t.IsSealed ? "sealed class" : "class";

    private static string? Describe(MemberInfo m) => m switch
    {
        MethodBase { IsSpecialName: true } when m is not ConstructorInfo => null, // accessors are listed with their property
        MethodBase method when Visible(method) => $"{Access(method)}{Modifiers(method)}{(method is MethodInfo mi ? Name(mi.ReturnType) + " " : "")}{method.Name}{Generics(method)}({string.Join(", ", method.GetParameters().Select(Parameter))})",
        PropertyInfo p when Accessors(p).Any(Visible) => $"{Access(Accessors(p).First(Visible))}{Name(p.PropertyType)} {p.Name} {{ {string.Join(" ", Accessors(p).Where(Visible).Select(a => a == p.GetMethod ? "get;" : a.ReturnParameter.GetRequiredCustomModifiers().Any(c => c.Name == "IsExternalInit") ? "init;" : "set;"))} }}",
        FieldInfo f when f.IsPublic || f.IsFamily || f.IsFamilyOrAssembly => $"{(f.IsPublic ? "public" : "protected")} {(f.IsLiteral ? $"const {Name(f.FieldType)} {f.Name} = {f.GetRawConstantValue()}" : $"{(f.IsStatic ? "static " : "")}{(f.IsInitOnly ? "readonly " : "")}{Name(f.FieldType)} {f.Name}")}",
        EventInfo e => $"event {Name(e.EventHandlerType!)} {e.Name}",
        _ => null,
    };

    private static IEnumerable<MethodInfo> Accessors(PropertyInfo p) => new[] { p.GetMethod, p.SetMethod }.OfType<MethodInfo>();

    private static bool Visible(MethodBase m) => m.IsPublic || m.IsFamily || m.IsFamilyOrAssembly;

    private static string Access(MethodBase m) => m.IsPublic ? "public " : "protected ";

    private static string Modifiers(MethodBase m) =>
        (m.IsStatic ? "static " : "") + (m.IsAbstract ? "abstract " : m.IsVirtual && !m.IsFinal ? "virtual " : "");

    private static string Generics(MethodBase m) => m.IsGenericMethodDefinition ? $"<{string.Join(", ", m.GetGenericArguments().Select(a => a.Name))}>" : "";

    private static string Parameter(ParameterInfo p) =>
        $"{(p.IsOut ? "out " : p.ParameterType.IsByRef ? (p.IsIn ? "in " : "ref ") : "")}{Name(p.ParameterType)} {p.Name}{(p.HasDefaultValue ? $" = {p.DefaultValue ?? "null"}" : "")}";

    private static string Name(Type t)
    {
        if (t.IsByRef)
        {
            return Name(t.GetElementType()!);
        }

        if (t.IsGenericParameter)
        {
            return t.Name;
        }

        if (t.IsArray)
        {
            return Name(t.GetElementType()!) + "[]";
        }

        var name = t.IsNested ? $"{Name(t.DeclaringType!)}.{t.Name}" : $"{t.Namespace}.{t.Name}";
        return t.IsGenericType ? $"{name}[{string.Join(", ", t.GetGenericArguments().Select(Name))}]" : name;
    }

    private static string SourceDirectory([System.Runtime.CompilerServices.CallerFilePath] string path = "") => Path.GetDirectoryName(path)!;
}
