using DeepGpu.Kernels;
using ILGPU;
using ILGPU.Runtime;
using ILGPU.Runtime.CPU;
using ILGPU.Runtime.Cuda;
using ILGPU.Runtime.OpenCL;

namespace DeepGpu.Backends.Ilgpu;

/// <summary>Which GEMM kernel an <see cref="IlgpuBackend"/> runs.</summary>
public enum IlgpuGemm
{
    /// <summary>Register-tiled on CUDA for matrices of at least one block tile, shared-memory tiled elsewhere.</summary>
    Auto,
    /// <summary>Always the shared-memory tiled kernel.</summary>
    Tiled,
    /// <summary>Always the register-tiled kernel (4x4 outputs per thread).</summary>
    Register,
    /// <summary>The wide 128x128 kernel (8x8 per thread) wherever the shape allows it on GPU-sized groups, else register-tiled.</summary>
    Wide,
    /// <summary>cuBLAS through ILGPU.Algorithms (CUDA only; also chosen by DEEPGPU_GEMM=cublas).</summary>
    CuBlas,
}

/// <summary>
/// The ILGPU backend: one ILGPU context (with ILGPU.Algorithms enabled), one accelerator and one stream,
/// serving CUDA, OpenCL and ILGPU's CPU accelerator with the same kernels (Engine.Kernels). Every kernel is
/// compiled and loaded once, at construction; ops only queue launches on the stream (no allocation, host
/// copy or synchronisation), so only <see cref="Backend.Download{T}"/> and <see cref="Backend.Synchronize"/> wait.
/// </summary>
public sealed partial class IlgpuBackend : Backend
{
    private readonly Context _context;
    private readonly Accelerator _accelerator;
    private readonly AcceleratorStream _stream;
    private readonly MemoryBuffer1D<float, Stride1D.Dense> _placeholder;
    private readonly MemoryBuffer1D<long, Stride1D.Dense> _noRecord;
    private readonly CuBlas? _blas;
    private readonly IlgpuGemm _gemmMode;
    private readonly int _tile;
    private readonly int _group;
    /// <summary>Split-K on a GPU (DEEPGPU_SPLITK=0 turns it off, to compare).</summary>
    private readonly bool _splitK;
    /// <summary>A fixed K per slice for every GEMM longer than it (tests run split-K on the simulator with it); 0 none.</summary>
    private readonly int _forcedSliceK;
    private DeviceBuffer<float>? _splitPartials;
    private readonly List<DeviceBuffer<float>> _outgrownWorkspaces = [];
    private const int MaxSlices = 64;
    private bool _disposed;

    /// <summary>Opens the first device of a kind: "cuda", "opencl" or "ilgpu-cpu".</summary>
    /// <exception cref="DeepGpuException">No such device, or it could not be opened.</exception>
    public IlgpuBackend(string name) : this(name, IlgpuGemm.Auto) { }

    /// <summary>Opens the first device of a kind with a chosen GEMM kernel.</summary>
    public IlgpuBackend(string name, IlgpuGemm gemm) : this(name, gemm, gpuShapedCpu: false) { }

    /// <summary>
    /// With <paramref name="gpuShapedCpu"/>, "ilgpu-cpu" simulates a GPU-sized device (up to 1024 threads per
    /// group) and loads the GPU configurations (16x16 tiles, 256-thread groups), so tests can run the exact
    /// kernels CUDA runs on a machine without a GPU. Slow: for small shapes only. <paramref name="assertions"/>
    /// builds the context with ILGPU's assertions on (kernels keep their Debug.Assert checks).
    /// </summary>
    /// <remarks>
    /// On the CPU simulator a kernel runs as .NET code, so ILGPU's array views check every index with
    /// Trace.Assert whatever the context says; an out-of-bounds index fails the assertion (which, with .NET's
    /// default listener, ends the process). GPU code has no such checks.
    /// </remarks>
    internal IlgpuBackend(string name, IlgpuGemm gemm, bool gpuShapedCpu, bool assertions = false, int forcedSliceK = 0)
    {
        NativeLibraries.Register();
        Name = name;
        (_context, var device) = OpenDevice(name, gpuShapedCpu, assertions);
        try
        {
            _accelerator = device.CreateAccelerator(_context);
            _stream = _accelerator.CreateStream();
            _placeholder = _accelerator.Allocate1D<float>(1);
            _noRecord = _accelerator.Allocate1D<long>(StepRecordKernels.Length);
            _noRecord.MemSetToZero(_stream);
            // Small tiles and groups on ILGPU's CPU simulator (16 threads per group there), and on any device
            // that cannot run 256-thread groups.
            var isCpu = (_accelerator.AcceleratorType == AcceleratorType.CPU && !gpuShapedCpu) || _accelerator.MaxNumThreadsPerGroup < 256;
            _tile = isCpu ? default(Tile4).Size : default(Tile16).Size;
            _group = isCpu ? default(Group16).Size : default(Group256).Size;
            if (isCpu) LoadKernels<Tile4, Group16>();
            else LoadKernels<Tile16, Group256>();

            // DEEPGPU_GEMM=cublas is a CUDA-only switch; other devices ignore it.
            if (gemm == IlgpuGemm.Auto && _accelerator is CudaAccelerator &&
                string.Equals(Environment.GetEnvironmentVariable("DEEPGPU_GEMM"), "cublas", StringComparison.OrdinalIgnoreCase))
            {
                gemm = IlgpuGemm.CuBlas;
            }
            if (gemm == IlgpuGemm.CuBlas)
            {
                if (_accelerator is not CudaAccelerator cuda) throw new DeepGpuException($"cuBLAS GEMM needs a CUDA device; this backend runs on {name}.");
                try
                {
                    _blas = new CuBlas(cuda) { Stream = (CudaStream)_stream };
                }
                catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException or TypeInitializationException)
                {
                    throw new DeepGpuException(
                        $"cuBLAS could not be loaded (set DEEPGPU_CUBLAS to the path of libcublas.so, tried libcublas.so.13): {e.Message}", e);
                }
            }
            _gemmMode = gemm;
            _splitK = _accelerator.AcceleratorType != AcceleratorType.CPU && Environment.GetEnvironmentVariable("DEEPGPU_SPLITK") != "0";
            // A slice is whole K steps, so no tile straddles two slices.
            _forcedSliceK = forcedSliceK <= 0 ? 0 : Blocks(forcedSliceK, _tile) * _tile;
            DeviceName = _accelerator.AcceleratorType == AcceleratorType.CPU
                ? $"ILGPU CPU accelerator, a simulator ({_accelerator.MaxNumThreadsPerGroup} threads per group)"
                : _accelerator.Name;
        }
        catch (Exception e)
        {
            DisposeDevice();
            if (e is DeepGpuException) throw;
            throw new DeepGpuException($"Could not start the {name} backend on {device.Name}: {e.Message}", e);
        }
    }

    public override string Name { get; }

    public override string DeviceName { get; }

    /// <summary>The ILGPU accelerator, for diagnostics and benchmarks.</summary>
    public Accelerator Accelerator => _accelerator;

    private static (Context, Device) OpenDevice(string name, bool gpuShapedCpu, bool assertions)
    {
        Context? ctx = null;
        try
        {
            switch (name)
            {
                case "cuda":
                    ctx = Context.Create(b => b.Cuda().EnableAlgorithms());
                    if (ctx.GetCudaDevices().Count > 0) return (ctx, ctx.GetCudaDevice(0));
                    throw new DeepGpuException("No CUDA device found: the NVIDIA driver (libcuda.so.1) is missing or reports no GPU.");
                case "opencl":
                    ctx = Context.Create(b => b.OpenCL().EnableAlgorithms());
                    var devices = ctx.GetCLDevices();
                    if (devices.Count == 0)
                    {
                        throw new DeepGpuException(
                            "No OpenCL device found that ILGPU can use: none is installed, or each lacks OpenCL C 2.0 with the generic address space.");
                    }
                    foreach (var d in devices)
                    {
                        if (d.DeviceType == CLDeviceType.CL_DEVICE_TYPE_GPU) return (ctx, d);
                    }
                    return (ctx, devices[0]);
                case "ilgpu-cpu":
                    ctx = Context.Create(b =>
                    {
                        b.CPU(gpuShapedCpu ? CPUDevice.Nvidia : CPUDevice.Default).EnableAlgorithms();
                        if (assertions) b.Assertions();
                    });
                    return (ctx, ctx.GetCPUDevice(0));
                default:
                    throw new DeepGpuException($"Unknown ILGPU backend '{name}': use cuda, opencl or ilgpu-cpu.");
            }
        }
        catch (DeepGpuException)
        {
            ctx?.Dispose();
            throw;
        }
        catch (Exception e)
        {
            ctx?.Dispose();
            var what = name switch { "cuda" => "No CUDA device found", "opencl" => "No OpenCL device found", _ => "No ILGPU CPU device" };
            throw new DeepGpuException($"{what}: {e.GetType().Name}: {e.Message}", e);
        }
    }

    private ArrayView<T> View<T>(BufferView<T> view) where T : unmanaged
    {
        if (view.Buffer is null) throw new ArgumentException("The view has no buffer.");
        if (view.Buffer is not IlgpuBuffer<T> buffer || !ReferenceEquals(buffer.Owner, this))
        {
            throw new ArgumentException($"A buffer of {view.Buffer.Owner} was passed to {this}.");
        }
        return buffer.ArrayView(view.Offset, view.Length);
    }

    /// <summary>A state view that may be empty: empty views become a never-read placeholder.</summary>
    private ArrayView<float> StateView(BufferView<float> view) => view.Buffer is null || view.Length == 0 ? _placeholder.View : View(view);

    private static int Blocks(int count, int size) => (count + size - 1) / size;

    // ---- memory -------------------------------------------------------------------------------------

    protected override DeviceBuffer<T> AllocateCore<T>(int length)
    {
        MemoryBuffer1D<T, Stride1D.Dense> memory;
        try
        {
            memory = _accelerator.Allocate1D<T>(Math.Max(1, length));
        }
        catch (Exception e) when (DeviceErrors.IsOutOfMemory(e))
        {
            throw new DeviceOutOfMemoryException(DeviceName, (long)length * System.Runtime.CompilerServices.Unsafe.SizeOf<T>(), FreeMemory(), inner: e);
        }
        memory.MemSetToZero(_stream);
        return new IlgpuBuffer<T>(this, memory, length);
    }

    /// <summary>Free device memory where the driver tells (CUDA); null elsewhere.</summary>
    private long? FreeMemory()
    {
        try
        {
            return _accelerator is CudaAccelerator cuda ? cuda.GetFreeMemory() : null;
        }
        catch (Exception e) when (e is AcceleratorException)
        {
            return null;
        }
    }

    protected override void UploadCore<T>(ReadOnlySpan<T> source, BufferView<T> destination)
    {
        if (source.Length == 0) return;
        View(destination).CopyFromCPU(_stream, source);
        // The copy may read the host span after returning (OpenCL); the span is only valid during this call.
        _stream.Synchronize();
    }

    protected override void DownloadCore<T>(BufferView<T> source, Span<T> destination)
    {
        _stream.Synchronize();
        if (source.Length == 0) return;
        View(source).CopyToCPU(_stream, destination);
        _stream.Synchronize();
    }

    protected override void SynchronizeCore() => _stream.Synchronize();

    public override bool CountsLaunches => true;

    public override void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        DisposeDevice();
    }

    private void DisposeDevice()
    {
        try
        {
            _stream?.Synchronize();
        }
        catch (Exception)
        {
            // A failed device cannot be drained; release what we hold anyway.
        }
        _blas?.Dispose();
        _splitPartials?.Dispose();
        foreach (var workspace in _outgrownWorkspaces) workspace.Dispose();
        _placeholder?.Dispose();
        _noRecord?.Dispose();
        _stream?.Dispose();
        _accelerator?.Dispose();
        _context?.Dispose();
    }
}
