using System.Reflection;
using System.Runtime.InteropServices;
using ILGPU;
using ILGPU.Runtime.Cuda;

namespace DeepGpu.Backends.Ilgpu;

/// <summary>
/// Maps the native library names ILGPU asks for onto the files an ordinary Linux box has: "cuda" to
/// libcuda.so.1 (then libcuda.so), "OpenCL" to libOpenCL.so.1, and cuBLAS (ILGPU.Algorithms asks for
/// libcublas.so.12/.11/.10) to the path in DEEPGPU_CUBLAS, else libcublas.so.13. Registered once, before the
/// first ILGPU context; anything not mapped falls back to .NET's own search.
/// </summary>
internal static class NativeLibraries
{
    // A resolver can be set once per assembly and process, so registration runs once.
    private static readonly Lazy<bool> _registration = new(RegisterResolvers);

    public static void Register() => _ = _registration.Value;

    private static bool RegisterResolvers()
    {
        // ILGPU installs its own resolver on WSL; there ours would conflict, so leave it alone.
        if (!OperatingSystem.IsLinux() || IsWsl()) return false;
        TrySet(typeof(Context).Assembly, ResolveIlgpu);
        TrySet(typeof(CuBlas).Assembly, ResolveAlgorithms);
        return true;
    }

    private static bool IsWsl()
    {
        try
        {
            return Environment.GetEnvironmentVariable("WSL_DISTRO_NAME") is not null ||
                (File.Exists("/proc/version") && File.ReadAllText("/proc/version").Contains("microsoft", StringComparison.OrdinalIgnoreCase));
        }
        catch (IOException)
        {
            return false;
        }
    }

    private static void TrySet(Assembly assembly, DllImportResolver resolver)
    {
        try
        {
            NativeLibrary.SetDllImportResolver(assembly, resolver);
        }
        catch (InvalidOperationException)
        {
            // Someone (the host application) registered a resolver for this assembly first: keep theirs.
        }
    }

    private static IntPtr ResolveIlgpu(string name, Assembly assembly, DllImportSearchPath? path) => name switch
    {
        "cuda" => Load("libcuda.so.1", "libcuda.so"),
        "OpenCL" => Load("libOpenCL.so.1", "libOpenCL.so"),
        _ => IntPtr.Zero,
    };

    private static IntPtr ResolveAlgorithms(string name, Assembly assembly, DllImportSearchPath? path)
    {
        if (name.StartsWith("libcublas", StringComparison.Ordinal))
        {
            var configured = Environment.GetEnvironmentVariable("DEEPGPU_CUBLAS");
            return string.IsNullOrEmpty(configured) ? Load("libcublas.so.13", name) : Load(configured, "libcublas.so.13", name);
        }
        return ResolveIlgpu(name, assembly, path);
    }

    private static IntPtr Load(params string[] candidates)
    {
        foreach (var candidate in candidates)
        {
            if (NativeLibrary.TryLoad(candidate, out var handle)) return handle;
        }
        return IntPtr.Zero;
    }
}
