// Why this file calls the CUDA driver itself: ILGPU 1.5 launches kernels on a CUDA stream but has no API for stream
// capture or CUDA graphs. These few driver entry points record the launches queued on ILGPU's stream (its
// CudaStream.StreamPtr) into a graph and replay it, which makes one training step one launch for the host.
// Everything else stays with ILGPU; any failure here falls back to plain launches.
using System.Runtime.InteropServices;

namespace DeepGpu.Backends.Ilgpu;

internal static partial class CudaGraphDriver
{
    private const string Library = "libcuda.so.1";

    /// <summary>CU_STREAM_CAPTURE_MODE_THREAD_LOCAL: only this thread's unsafe calls end the capture.</summary>
    public const int CaptureThreadLocal = 1;

    private static readonly string[] _entryPoints =
    [
        "cuStreamBeginCapture_v2", "cuStreamEndCapture", "cuGraphInstantiateWithFlags", "cuGraphLaunch", "cuGraphGetNodes",
        "cuGraphExecDestroy", "cuGraphDestroy",
    ];

    /// <summary>Null when the driver library loads and has every entry point used here, else why not.</summary>
    public static string? Missing()
    {
        if (!NativeLibrary.TryLoad(Library, out var handle)) return $"{Library} could not be loaded";
        var missing = _entryPoints.Where(name => !NativeLibrary.TryGetExport(handle, name, out _)).ToArray();
        return missing.Length == 0 ? null : $"{Library} lacks {string.Join(", ", missing)} (a driver older than CUDA 11.4)";
    }

    [LibraryImport(Library, EntryPoint = "cuStreamBeginCapture_v2")]
    public static partial int BeginCapture(IntPtr stream, int mode);

    [LibraryImport(Library, EntryPoint = "cuStreamEndCapture")]
    public static partial int EndCapture(IntPtr stream, out IntPtr graph);

    [LibraryImport(Library, EntryPoint = "cuGraphInstantiateWithFlags")]
    public static partial int Instantiate(out IntPtr graphExec, IntPtr graph, ulong flags);

    [LibraryImport(Library, EntryPoint = "cuGraphLaunch")]
    public static partial int Launch(IntPtr graphExec, IntPtr stream);

    /// <summary>With a null node array, the number of nodes.</summary>
    [LibraryImport(Library, EntryPoint = "cuGraphGetNodes")]
    public static partial int GetNodes(IntPtr graph, IntPtr nodes, ref nuint count);

    [LibraryImport(Library, EntryPoint = "cuGraphExecDestroy")]
    public static partial int DestroyExec(IntPtr graphExec);

    [LibraryImport(Library, EntryPoint = "cuGraphDestroy")]
    public static partial int DestroyGraph(IntPtr graph);
}
