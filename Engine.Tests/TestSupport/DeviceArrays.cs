using DeepGpu.Backends;

namespace DeepGpu.Tests.TestSupport;

/// <summary>A device buffer's contents on the host (a synchronisation of its backend).</summary>
public static class DeviceArrays
{
    public static T[] ToHostArray<T>(this DeviceBuffer<T> buffer) where T : unmanaged
    {
        var values = new T[buffer.Length];
        buffer.Owner.Download(buffer.View, values);
        return values;
    }
}
