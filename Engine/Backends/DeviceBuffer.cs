namespace DeepGpu.Backends;

/// <summary>
/// A block of memory owned by a <see cref="Backend"/> (device memory on a GPU, a managed array on the CPU).
/// Allocate once, reuse across steps, dispose when done.
/// </summary>
public abstract class DeviceBuffer<T> : IDisposable where T : unmanaged
{
    private int _disposed;

    protected DeviceBuffer(Backend owner, int length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        Owner = owner;
        Length = length;
    }

    /// <summary>Bytes this buffer holds, as <see cref="Backend.LiveBytes"/> counts them.</summary>
    public long Bytes => (long)Length * System.Runtime.CompilerServices.Unsafe.SizeOf<T>();

    /// <summary>The backend that allocated this buffer; only it may run ops on it.</summary>
    public Backend Owner { get; }

    /// <summary>Number of elements.</summary>
    public int Length { get; }

    /// <summary>The whole buffer as a view.</summary>
    public BufferView<T> View => new(this, 0, Length);

    /// <summary>A part of the buffer as a view.</summary>
    public BufferView<T> Slice(int offset, int length) => new(this, offset, length);

    /// <summary>Frees the memory (once; later calls do nothing).</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        Owner.Released(Bytes);
        DisposeCore();
        GC.SuppressFinalize(this);
    }

    /// <summary>Frees the backend's memory; called once.</summary>
    protected abstract void DisposeCore();

    public static implicit operator BufferView<T>(DeviceBuffer<T> buffer) => buffer.View;
}

/// <summary>A contiguous range of a <see cref="DeviceBuffer{T}"/>: what every backend op takes.</summary>
public readonly struct BufferView<T> where T : unmanaged
{
    public BufferView(DeviceBuffer<T> buffer, int offset, int length)
    {
        ArgumentNullException.ThrowIfNull(buffer);
        if (offset < 0 || length < 0 || (long)offset + length > buffer.Length)
        {
            throw new ArgumentOutOfRangeException(nameof(length), $"View [{offset}, {offset + length}) is outside a buffer of {buffer.Length} elements.");
        }
        Buffer = buffer;
        Offset = offset;
        Length = length;
    }

    public DeviceBuffer<T> Buffer { get; }
    public int Offset { get; }
    public int Length { get; }

    /// <summary>A sub-range of this view.</summary>
    public BufferView<T> Slice(int offset, int length)
    {
        if (offset < 0 || length < 0 || offset + length > Length)
        {
            throw new ArgumentOutOfRangeException(nameof(length), $"Slice [{offset}, {offset + length}) is outside a view of {Length} elements.");
        }
        return new BufferView<T>(Buffer, Offset + offset, length);
    }

    public override string ToString() => $"{typeof(T).Name}[{Offset}..{Offset + Length})";
}
