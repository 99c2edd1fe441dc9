using DeepGpu.Backends.Cpu;
using DeepGpu.Backends.Ilgpu;
using ILGPU;
using ILGPU.Runtime.CPU;
using ILGPU.Runtime.Cuda;
using ILGPU.Backends.OpenCL;
using ILGPU.Runtime.OpenCL;

namespace DeepGpu.Backends;

/// <summary>One device found by <see cref="BackendFactory.Probe"/>.</summary>
/// <param name="Name">The device in words.</param>
/// <param name="Backend">The backend name that would run on it: cuda, opencl, ilgpu-cpu or cpu.</param>
/// <param name="Accepted">Whether that backend can use it.</param>
/// <param name="Reason">Why it was accepted or rejected, in one sentence.</param>
/// <param name="IsGpu">Whether it is a GPU (OpenCL CPU devices are not).</param>
public sealed record DeviceReport(string Name, string Backend, bool Accepted, string Reason, bool IsGpu = false);

/// <summary>
/// Creates backends by name and reports which devices this machine has. "auto" picks CUDA, then an
/// OpenCL GPU, then the managed cpu backend. An OpenCL CPU device (PoCL, Intel's CPU runtime) is never
/// picked by auto: ILGPU's OpenCL code is written for GPUs and the managed SIMD backend is the CPU path;
/// ask for "opencl" to use one anyway. ilgpu-cpu (ILGPU's CPU accelerator) is a debugging simulator and is
/// likewise never picked by auto.
/// </summary>
public static class BackendFactory
{
    /// <summary>The names <see cref="Create(string)"/> accepts.</summary>
    public static IReadOnlyList<string> Names { get; } = ["auto", "cuda", "opencl", "ilgpu-cpu", "cpu"];

    // Probed once per process: what is installed does not change while it runs.
    private static readonly Lazy<IReadOnlyList<DeviceReport>> _probed = new(ProbeDevices);

    /// <summary>Creates the backend called <paramref name="name"/> (see <see cref="Names"/>).</summary>
    /// <exception cref="DeepGpuException">Unknown name, or the device is not there.</exception>
    public static Backend Create(string name) => Create(name, out _);

    /// <summary>Creates a backend; <paramref name="why"/> says which one and why (for auto, what it picked).</summary>
    public static Backend Create(string name, out string why)
    {
        ArgumentNullException.ThrowIfNull(name);
        switch (name.Trim().ToLowerInvariant())
        {
            case "auto":
                var (backend, reason) = ChooseAuto();
                why = $"auto picked {backend}: {reason}";
                return Create(backend, out _);
            case "cpu":
                why = "cpu: the managed backend, as asked.";
                return new CpuBackend();
            case "cuda":
            case "opencl":
            case "ilgpu-cpu":
                var created = new IlgpuBackend(name.Trim().ToLowerInvariant());
                why = $"{created.Name} on {created.DeviceName}, as asked.";
                return created;
            default:
                throw new DeepGpuException($"Unknown backend '{name}': use one of {string.Join(", ", Names)}.");
        }
    }

    /// <summary>CUDA if a device is there, else an OpenCL GPU ILGPU accepts, else the managed cpu backend.</summary>
    public static (string Backend, string Why) ChooseAuto() => ChooseAuto(Probe());

    /// <summary>What auto picks among <paramref name="devices"/> (as <see cref="Probe"/> reports them), and why.</summary>
    public static (string Backend, string Why) ChooseAuto(IReadOnlyList<DeviceReport> devices)
    {
        ArgumentNullException.ThrowIfNull(devices);
        var cuda = devices.FirstOrDefault(d => d.Backend == "cuda" && d.Accepted);
        if (cuda is not null) return ("cuda", $"found the CUDA device {cuda.Name}");
        var openCl = devices.FirstOrDefault(d => d.Backend == "opencl" && d.Accepted && d.IsGpu);
        if (openCl is not null) return ("opencl", $"no CUDA device; found the OpenCL GPU {openCl.Name}");
        var rejected = devices.Where(d => !d.Accepted && d.Backend is "cuda" or "opencl").Select(d => $"{d.Name}: {d.Reason.TrimEnd('.')}");
        var detail = string.Join("; ", rejected);
        return ("cpu", "no CUDA device and no usable OpenCL GPU" + (detail.Length > 0 ? $"; {detail}" : ""));
    }

    /// <summary>Every device found (CUDA, OpenCL, ILGPU's CPU accelerator, the managed cpu), with why each is or isn't usable.</summary>
    /// <remarks>Safe on a machine without libcuda or libOpenCL: load failures become rejected entries. Probed once per process.</remarks>
    public static IReadOnlyList<DeviceReport> Probe() => _probed.Value;

    private static IReadOnlyList<DeviceReport> ProbeDevices()
    {
        NativeLibraries.Register();
        var list = new List<DeviceReport>();
        ProbeCuda(list);
        ProbeOpenCl(list);
        list.Add(new DeviceReport("ILGPU CPU accelerator (simulator)", "ilgpu-cpu", true,
            "always available; a debugging simulator, slow, never picked by auto."));
        list.Add(new DeviceReport($"{Environment.ProcessorCount} managed CPU threads", "cpu", true, "always available."));
        return list;
    }

    private static void ProbeCuda(List<DeviceReport> list)
    {
        try
        {
            using var context = Context.Create(b => b.Cuda());
            var devices = context.GetCudaDevices();
            if (devices.Count == 0)
            {
                list.Add(new DeviceReport("CUDA", "cuda", false, "the NVIDIA driver (libcuda.so.1) is missing or reports no GPU."));
            }
            foreach (var d in devices)
            {
                list.Add(new DeviceReport(d.Name, "cuda", true, $"CUDA device, compute capability {d.Architecture}.", IsGpu: true));
            }
        }
        catch (Exception e)
        {
            list.Add(new DeviceReport("CUDA", "cuda", false, $"probing CUDA failed: {e.GetType().Name}: {e.Message}"));
        }
    }

    private static void ProbeOpenCl(List<DeviceReport> list)
    {
        var found = new List<DeviceReport>();
        try
        {
            // Look at every device, including those ILGPU's default filter drops, so the report can say why.
            using var context = Context.Create(b => b.OpenCL(d =>
            {
                found.Add(Describe(d));
                return false;
            }));
        }
        catch (Exception e)
        {
            found.Add(new DeviceReport("OpenCL", "opencl", false, $"probing OpenCL failed: {e.GetType().Name}: {e.Message}"));
        }
        if (found.Count == 0) found.Add(new DeviceReport("OpenCL", "opencl", false, "no OpenCL platform or device (libOpenCL.so.1 missing or no ICD installed)."));
        list.AddRange(found);
    }

    private static DeviceReport Describe(CLDevice d)
    {
        var isGpu = d.DeviceType == CLDeviceType.CL_DEVICE_TYPE_GPU;
        var kind = isGpu ? "GPU" : d.DeviceType == CLDeviceType.CL_DEVICE_TYPE_CPU ? "CPU" : "device";
        var name = $"{d.Name} ({d.PlatformName}, OpenCL {kind})";
        if (d.CLStdVersion < CLCVersion.CL20)
        {
            return new DeviceReport(name, "opencl", false,
                $"OpenCL C {d.CLStdVersion} lacks generic address space, which ILGPU needs (OpenCL C {CLCVersion.CL20} or later).", isGpu);
        }
        if (!d.Capabilities.GenericAddressSpace)
        {
            return new DeviceReport(name, "opencl", false, $"OpenCL C {d.CLStdVersion} without generic address space support, which ILGPU needs.", isGpu);
        }
        return new DeviceReport(name, "opencl", true,
            isGpu ? $"OpenCL C {d.CLStdVersion} GPU." : $"OpenCL C {d.CLStdVersion} {kind}; usable by asking for opencl, never picked by auto.", isGpu);
    }
}
