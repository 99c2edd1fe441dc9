using ILGPU;
using ILGPU.Runtime;

namespace DeepGpu.Backends.Ilgpu;

/// <summary>Device memory of an <see cref="IlgpuBackend"/>: one ILGPU <see cref="MemoryBuffer1D{T, TStride}"/>.</summary>
public sealed class IlgpuBuffer<T> : DeviceBuffer<T> where T : unmanaged
{
    internal IlgpuBuffer(IlgpuBackend owner, MemoryBuffer1D<T, Stride1D.Dense> memory, int length) : base(owner, length) => Memory = memory;

    /// <summary>The ILGPU buffer (at least one element long, so an empty buffer still has a valid view).</summary>
    public MemoryBuffer1D<T, Stride1D.Dense> Memory { get; }

    /// <summary>The elements [offset, offset + length) as an ILGPU view.</summary>
    public ArrayView<T> ArrayView(int offset, int length) => Memory.View.SubView(offset, length);

    protected override void DisposeCore() => Memory.Dispose();
}
