using ILGPU;
using ILGPU.Runtime;
using ILGPU.Runtime.Cuda;
using ILGPU.Runtime.OpenCL;

namespace DeepGpu.Backends;

/// <summary>The device failed (a launch, a copy, the driver): not the user's input, so front ends exit with 1.</summary>
public class DeviceFailureException : DeepGpuException
{
    public DeviceFailureException(string message) : base(message) { }
    public DeviceFailureException(string message, Exception inner) : base(message, inner) { }
}

/// <summary>An allocation that did not fit: what it was for, its size, and how much the device had free.</summary>
public sealed class DeviceOutOfMemoryException : DeviceFailureException
{
    public DeviceOutOfMemoryException(string device, long bytes, long? freeBytes, string what = "a buffer", Exception? inner = null)
        : base(Sentence(device, bytes, freeBytes, what, "a smaller batch needs less"), inner!)
    {
        Device = device;
        Bytes = bytes;
        FreeBytes = freeBytes;
        What = what;
    }

    public string Device { get; }

    /// <summary>The size of the allocation that failed.</summary>
    public long Bytes { get; }

    /// <summary>Free device memory when it failed, where the device can tell.</summary>
    public long? FreeBytes { get; }

    /// <summary>What was being allocated, in words.</summary>
    public string What { get; }

    /// <summary>The sentence with other advice at its end (a front end names its own option).</summary>
    public string WithAdvice(string advice) => Sentence(Device, Bytes, FreeBytes, What, advice);

    /// <summary>The same failure, naming what the allocation was for.</summary>
    public DeviceOutOfMemoryException For(string what) => new(Device, Bytes, FreeBytes, what, InnerException);

    private static string Sentence(string device, long bytes, long? free, string what, string advice) =>
        $"Out of memory on {device}: allocating {what} ({DeviceErrors.Size(bytes)}) failed" +
        (free is { } f ? $" with {DeviceErrors.Size(f)} free" : "") + $"; {advice}.";
}

/// <summary>Turns what ILGPU and the drivers throw into one sentence.</summary>
public static class DeviceErrors
{
    /// <summary>Bytes in the unit that reads best (B, KiB, MiB, GiB).</summary>
    public static string Size(long bytes) => bytes switch
    {
        < 1024 => $"{bytes} B",
        < 1024 * 1024 => $"{bytes / 1024.0:0.#} KiB",
        < 1024L * 1024 * 1024 => $"{bytes / (1024.0 * 1024):0.#} MiB",
        _ => $"{bytes / (1024.0 * 1024 * 1024):0.##} GiB",
    };

    /// <summary>
    /// One sentence for a device error anywhere in <paramref name="e"/>'s chain (a CUDA or OpenCL error, an
    /// ILGPU compiler failure, host memory running out for the CPU backends); null when it is not one.
    /// </summary>
    public static string? Describe(Exception e)
    {
        for (var x = e; x is not null; x = x.InnerException)
        {
            switch (x)
            {
                case DeviceFailureException d:
                    return d.Message;
                case CudaException cuda:
                    return string.IsNullOrEmpty(cuda.Error)
                        ? $"The CUDA device failed ({FirstLine(cuda.Message)})."
                        : $"The CUDA device failed: {cuda.Error} ({FirstLine(cuda.Message)}).";
                case CLException cl:
                    return $"The OpenCL device failed: {cl.Error} ({FirstLine(cl.Message)}).";
                case AcceleratorException a:
                    return $"The {a.AcceleratorType} device failed: {FirstLine(a.Message)}.";
                case InternalCompilerException c:
                    return $"ILGPU could not compile a kernel: {FirstLine(c.Message)}.";
                case OutOfMemoryException:
                    return "Out of host memory; a smaller batch needs less.";
            }
        }
        return null;
    }

    /// <summary>True when an exception from an allocation means the device has no room.</summary>
    internal static bool IsOutOfMemory(Exception e) => e switch
    {
        CudaException cuda => (cuda.Error ?? "").Contains("OUT_OF_MEMORY", StringComparison.Ordinal),
        CLException cl => cl.Error is CLError.CL_MEM_OBJECT_ALLOCATION_FAILURE or CLError.CL_OUT_OF_RESOURCES
            or CLError.CL_OUT_OF_HOST_MEMORY or CLError.CL_INVALID_BUFFER_SIZE,
        OutOfMemoryException => true,
        _ => false,
    };

    private static string FirstLine(string message) => message.Split('\n', 2)[0].Trim().TrimEnd('.');
}
