namespace Acr.Host.Data.Fetch;

/// <summary>
/// Where fetched data sets live: <c>--cache DIR</c> if given, else <c>$ACR_DATA</c>, else
/// <c>$XDG_CACHE_HOME/acr/data</c>, else <c>~/.cache/acr/data</c>. Each data set has a sub-folder
/// named after it (e.g. <c>~/.cache/acr/data/fashion-mnist/</c>).
/// </summary>
public static class DataCache
{
    /// <summary>The environment variable that overrides the cache folder.</summary>
    public const string EnvironmentVariable = "ACR_DATA";

    /// <summary>The cache folder to use.</summary>
    /// <param name="explicitDirectory">The <c>--cache</c> option, or null.</param>
    /// <param name="environment">Looks up an environment variable (null or empty when unset).</param>
    public static string Resolve(string? explicitDirectory, Func<string, string?> environment)
    {
        ArgumentNullException.ThrowIfNull(environment);
        if (!string.IsNullOrWhiteSpace(explicitDirectory))
        {
            return Path.GetFullPath(explicitDirectory);
        }

        string? acr = environment(EnvironmentVariable);
        if (!string.IsNullOrWhiteSpace(acr))
        {
            return Path.GetFullPath(acr);
        }

        string? xdg = environment("XDG_CACHE_HOME");
        if (!string.IsNullOrWhiteSpace(xdg))
        {
            return Path.GetFullPath(Path.Combine(xdg, "acr", "data"));
        }

        string home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        return Path.Combine(home, ".cache", "acr", "data");
    }

    /// <summary>The cache folder from the process environment.</summary>
    public static string Resolve(string? explicitDirectory) => Resolve(explicitDirectory, Environment.GetEnvironmentVariable);
}
