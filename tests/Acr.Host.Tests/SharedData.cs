namespace Acr.Host.Tests;

/// <summary>
/// Locates the public data sets in the <c>shared/data</c> folder that sits beside the repository
/// (<c>&lt;repo&gt;/../shared/data</c>), by walking up from the test binaries.
/// </summary>
internal static class SharedData
{
    public static string? Find(string fileName)
    {
        for (DirectoryInfo? dir = new(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            string candidate = Path.Combine(dir.FullName, "shared", "data", fileName);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        return null;
    }
}

/// <summary>
/// A fact that needs a file from <c>&lt;repo&gt;/../shared/data</c>; it is skipped, with a reason,
/// where that folder or file is absent (e.g. a checkout without the shared folder).
/// </summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = false)]
public sealed class SharedDataFactAttribute : FactAttribute
{
    public SharedDataFactAttribute(string fileName)
    {
        FileName = fileName;
        if (SharedData.Find(fileName) is null)
        {
            Skip = $"needs {fileName} in <repo>/../shared/data, which is not present";
        }
    }

    public string FileName { get; }
}
