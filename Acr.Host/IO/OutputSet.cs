namespace Acr.Host.IO;

/// <summary>
/// Files that belong together (a model and its reports): each is written to a staged name, and only
/// when all are written are they renamed into place. A run that fails half-way leaves the folder as it
/// was — never a new model beside stale reports.
/// </summary>
public sealed class OutputSet : IDisposable
{
    private readonly List<(string Staged, string Final)> _files = [];
    private bool _committed;

    /// <summary>Creates a set of outputs in <paramref name="directory"/>.</summary>
    /// <param name="directory">An existing, writable folder.</param>
    public OutputSet(string directory)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(directory);
        Directory = directory;
    }

    /// <summary>The folder.</summary>
    public string Directory { get; }

    /// <summary>Reserves <paramref name="name"/> and returns the staged path to write it to (with <see cref="AtomicFile"/>).</summary>
    /// <param name="name">Final file name within the folder.</param>
    public string Stage(string name)
    {
        var final = Path.Combine(Directory, name);
        var staged = Path.Combine(Directory, $".{name}.{Environment.ProcessId}.pending");
        _files.Add((staged, final));
        return staged;
    }

    /// <summary>Moves every staged file to its final name; returns the final paths.</summary>
    public IReadOnlyList<string> Commit()
    {
        foreach (var (staged, final) in _files)
        {
            File.Move(staged, final, overwrite: true);
        }

        _committed = true;
        return _files.Select(f => f.Final).ToArray();
    }

    /// <summary>Deletes staged files that were not committed.</summary>
    public void Dispose()
    {
        if (_committed)
        {
            return;
        }

        foreach (var (staged, _) in _files)
        {
            try
            {
                File.Delete(staged);
            }
            catch (IOException)
            {
                // Best effort: the original failure matters more.
            }
            catch (UnauthorizedAccessException)
            {
                // Same.
            }
        }
    }
}
