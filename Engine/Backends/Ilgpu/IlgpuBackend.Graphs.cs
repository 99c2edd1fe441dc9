using ILGPU.Runtime;
using ILGPU.Runtime.Cuda;

namespace DeepGpu.Backends.Ilgpu;

// Training steps as CUDA graphs: the step's launches are recorded from ILGPU's stream once and replayed. Only on
// CUDA, with the built-in GEMM (cuBLAS launches are not recorded), a driver that has the graph API, and unless
// DEEPGPU_CUDA_GRAPHS=0.
public sealed partial class IlgpuBackend
{
    private StepGraphSupport? _stepGraphs;

    public override StepGraphSupport StepGraphs => _stepGraphs ??= ProbeStepGraphs();

    private StepGraphSupport ProbeStepGraphs() => StepGraphsFor(Environment.GetEnvironmentVariable("DEEPGPU_CUDA_GRAPHS"),
        _stream is CudaStream ? null : $"CUDA graphs need a CUDA device; the {Name} backend runs on {DeviceName}", _blas is not null, CudaGraphDriver.Missing);

    /// <summary>
    /// Whether steps run as CUDA graphs, given DEEPGPU_CUDA_GRAPHS's value, why the device is not CUDA (null when it
    /// is), whether GEMMs go to cuBLAS, and a check of the driver's graph API (null when it is all there).
    /// </summary>
    internal static StepGraphSupport StepGraphsFor(string? setting, string? notCuda, bool cuBlas, Func<string?> missingDriverApi)
    {
        if (setting == "0") return new(false, "DEEPGPU_CUDA_GRAPHS=0 turns CUDA graphs off");
        if (notCuda is not null) return new(false, notCuda);
        if (cuBlas) return new(false, "cuBLAS GEMM launches are not recorded into CUDA graphs (DEEPGPU_GEMM=cublas)");
        var missing = missingDriverApi();
        return missing is null ? new(true, "a training step is recorded once as a CUDA graph and replayed") : new(false, missing);
    }

    /// <summary>What a CUDA backend opened now would say about graphs (for reports made without opening one).</summary>
    public static StepGraphSupport CudaStepGraphs(bool cudaDevicePresent) => StepGraphsFor(Environment.GetEnvironmentVariable("DEEPGPU_CUDA_GRAPHS"),
        cudaDevicePresent ? null : "no CUDA device",
        string.Equals(Environment.GetEnvironmentVariable("DEEPGPU_GEMM"), "cublas", StringComparison.OrdinalIgnoreCase), CudaGraphDriver.Missing);

    public override RecordedStep? TryRecord(Action queue, out string reason)
    {
        var support = StepGraphs;
        reason = support.Reason;
        if (!support.Available) return null;
        _accelerator.Bind();
        var stream = ((CudaStream)_stream).StreamPtr;
        var rc = CudaGraphDriver.BeginCapture(stream, CudaGraphDriver.CaptureThreadLocal);
        if (rc != 0)
        {
            reason = $"cuStreamBeginCapture failed (CUresult {rc})";
            return null;
        }
        var before = Counters.Launches;
        var graph = IntPtr.Zero;
        Exception? failure = null;
        try
        {
            queue();
        }
        catch (Exception e) when (e is AcceleratorException or InvalidOperationException)
        {
            failure = e;
        }
        finally
        {
            // Always end the capture, so the stream takes plain launches again.
            rc = CudaGraphDriver.EndCapture(stream, out graph);
        }
        // Recorded launches did not run; they count when the graph is replayed.
        var launches = Counters.Launches - before;
        CountLaunches(-launches);
        if (failure is not null || rc != 0 || graph == IntPtr.Zero)
        {
            if (graph != IntPtr.Zero) _ = CudaGraphDriver.DestroyGraph(graph);
            reason = failure is not null ? $"recording the step failed: {failure.Message}" : $"cuStreamEndCapture failed (CUresult {rc})";
            return null;
        }
        nuint nodes = 0;
        rc = CudaGraphDriver.GetNodes(graph, IntPtr.Zero, ref nodes);
        if (rc == 0 && (long)nodes != launches)
        {
            _ = CudaGraphDriver.DestroyGraph(graph);
            reason = $"the recorded graph has {nodes} nodes for {launches} launches";
            return null;
        }
        rc = CudaGraphDriver.Instantiate(out var exec, graph, 0);
        if (rc != 0)
        {
            _ = CudaGraphDriver.DestroyGraph(graph);
            reason = $"cuGraphInstantiateWithFlags failed (CUresult {rc})";
            return null;
        }
        return new CudaGraphStep(this, stream, graph, exec, launches);
    }

    private void Replayed(long launches) => CountLaunches(launches);

    /// <summary>An instantiated CUDA graph of one step's launches.</summary>
    private sealed class CudaGraphStep(IlgpuBackend owner, IntPtr stream, IntPtr graph, IntPtr exec, long launches) : RecordedStep
    {
        private bool _disposed;

        public override void Replay()
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            var rc = CudaGraphDriver.Launch(exec, stream);
            if (rc != 0) throw new DeepGpuException($"cuGraphLaunch failed (CUresult {rc}).");
            owner.Replayed(launches);
        }

        public override void Dispose()
        {
            if (_disposed) return;
            _disposed = true;
            _ = CudaGraphDriver.DestroyExec(exec);
            _ = CudaGraphDriver.DestroyGraph(graph);
        }
    }
}
