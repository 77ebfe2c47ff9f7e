using System.Reflection;
using System.Runtime.InteropServices;
using ILGPU.Runtime.Cuda;
using ILGPU.Runtime.OpenCL;

namespace Acr.Backends.Gpu.Devices;

/// <summary>
/// Where ILGPU finds the native drivers. ILGPU imports <c>cuda</c> and <c>OpenCL</c>, so on Linux the runtime probes
/// <c>libcuda.so</c> and <c>libOpenCL.so</c> only, names that many driver installs lack (they ship the <c>.so.1</c>
/// names); without help the devices are silently "not supported". <see cref="EnsureResolver"/> installs, once per
/// process and before any ILGPU context exists, a resolver for the ILGPU assembly that tries the versioned names first.
/// </summary>
internal static class NativeDrivers
{
    /// <summary>The CUDA driver's file names, in the order tried.</summary>
    public static readonly string[] CudaLibraries = ["libcuda.so.1", "libcuda.so"];

    /// <summary>The OpenCL ICD loader's file names, in the order tried.</summary>
    public static readonly string[] OpenClLibraries = ["libOpenCL.so.1", "libOpenCL.so"];

    private static readonly Lock Sync = new();
    private static bool s_installed;

    /// <summary>Why the resolver could not be installed (another component set one for ILGPU first), or null.</summary>
    public static string? ResolverProblem { get; private set; }

    /// <summary>Installs the resolver (idempotent, thread-safe). Must run before the first ILGPU context is created.</summary>
    public static void EnsureResolver()
    {
        lock (Sync)
        {
            if (s_installed)
            {
                return;
            }

            s_installed = true;

            // On WSL, ILGPU installs its own resolver for the CUDA library in /usr/lib/wsl/lib when a CUDA context
            // is built, and a second resolver for one assembly throws: leave WSL to ILGPU.
            if (!OperatingSystem.IsLinux() || IsWsl())
            {
                return;
            }

            try
            {
                NativeLibrary.SetDllImportResolver(typeof(Context).Assembly, Resolve);
            }
            catch (InvalidOperationException e)
            {
                ResolverProblem = e.Message;
            }
        }
    }

    /// <summary>Tries to load one of <paramref name="names"/>; the name that loaded, or null when none did.</summary>
    /// <param name="names">Library file names, in order.</param>
    public static string? TryLoadAny(IEnumerable<string> names)
    {
        foreach (var name in names)
        {
            if (NativeLibrary.TryLoad(name, out var handle))
            {
                NativeLibrary.Free(handle);
                return name;
            }
        }

        return null;
    }

    /// <summary>What the OpenCL vendor registry holds, for messages: the number of <c>.icd</c> files in <c>/etc/OpenCL/vendors</c>.</summary>
    public static string OpenClVendorsNote()
    {
        const string vendors = "/etc/OpenCL/vendors";
        try
        {
            var count = Directory.Exists(vendors) ? Directory.GetFiles(vendors, "*.icd").Length : 0;
            return count == 0 ? $"{vendors} lists none; e.g. install pocl-opencl-icd" : $"{vendors} lists {count}, none of which loaded";
        }
        catch (IOException)
        {
            return $"{vendors} is unreadable";
        }
        catch (UnauthorizedAccessException)
        {
            return $"{vendors} is unreadable";
        }
    }

    private static IntPtr Resolve(string libraryName, Assembly assembly, DllImportSearchPath? searchPath)
    {
        string[]? candidates = libraryName switch
        {
            CudaAPI.LibNameLinux => CudaLibraries,
            CLAPI.LibNameLinux => OpenClLibraries,
            _ => null,
        };
        if (candidates is null)
        {
            return IntPtr.Zero;
        }

        foreach (var candidate in candidates)
        {
            if (NativeLibrary.TryLoad(candidate, out var handle))
            {
                return handle;
            }
        }

        // Fall back to the runtime's own probing (which will fail the same way and ILGPU reports "not supported").
        return IntPtr.Zero;
    }

    private static bool IsWsl()
    {
        try
        {
            return File.Exists("/proc/version") && File.ReadAllText("/proc/version").Contains("microsoft", StringComparison.OrdinalIgnoreCase);
        }
        catch (IOException)
        {
            return false;
        }
        catch (UnauthorizedAccessException)
        {
            return false;
        }
    }
}
