namespace DeepGpu.Backends.Cpu;

/// <summary>A managed array owned by the <see cref="CpuBackend"/>.</summary>
internal sealed class CpuBuffer<T> : DeviceBuffer<T> where T : unmanaged
{
    public CpuBuffer(Backend owner, int length) : base(owner, length) => Array = new T[length];

    public T[] Array { get; }

    protected override void DisposeCore() { }
}

internal static class CpuViews
{
    // A default view (no buffer) reads as empty: ops take empty views for absent outputs and state.
    public static Span<T> Span<T>(this BufferView<T> view) where T : unmanaged =>
        view.Buffer is null ? default : ((CpuBuffer<T>)view.Buffer).Array.AsSpan(view.Offset, view.Length);

    public static T[] Array<T>(this BufferView<T> view) where T : unmanaged =>
        view.Buffer is null ? [] : ((CpuBuffer<T>)view.Buffer).Array;
}
