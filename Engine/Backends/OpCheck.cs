using System.Diagnostics.CodeAnalysis;

namespace DeepGpu.Backends;

/// <summary>
/// The argument checks of <see cref="Backend"/>'s ops. Each check compares numbers and throws through a
/// separate method only when it fails, so a passing check neither allocates nor formats a string.
/// </summary>
internal static class OpCheck
{
    /// <summary>The view belongs to <paramref name="backend"/> (an empty default view belongs to every backend).</summary>
    public static void Owned<T>(Backend backend, string op, string argument, BufferView<T> view) where T : unmanaged
    {
        if (view.Buffer is not null && !ReferenceEquals(view.Buffer.Owner, backend)) ThrowForeign(backend, op, argument, view.Buffer.Owner);
    }

    /// <summary>The view holds exactly <paramref name="length"/> elements (host copies).</summary>
    public static void Length<T>(Backend backend, string op, string argument, BufferView<T> view, int length) where T : unmanaged
    {
        Owned(backend, op, argument, view);
        if (view.Length != length) Throw($"{op} needs {argument} to hold {length} elements, as many as the host span; it holds {view.Length}.");
    }

    /// <summary>The view is as long as another argument of an element-wise op.</summary>
    public static void SameLength<T>(Backend backend, string op, string argument, BufferView<T> view, string other, int length) where T : unmanaged
    {
        Owned(backend, op, argument, view);
        if (view.Length != length) ThrowNotSame(op, argument, view.Length, other, length);
    }

    /// <summary>The view holds at least <paramref name="needed"/> elements.</summary>
    public static void AtLeast<T>(Backend backend, string op, string argument, BufferView<T> view, long needed) where T : unmanaged
    {
        Owned(backend, op, argument, view);
        if (view.Length < needed) ThrowShort(op, argument, view.Length, needed);
    }

    /// <summary>rows and cols are not negative and the view holds a [rows, cols] matrix.</summary>
    public static void Matrix<T>(Backend backend, string op, string argument, BufferView<T> view, int rows, int cols) where T : unmanaged
    {
        NotNegative(op, "rows", rows);
        NotNegative(op, "cols", cols);
        AtLeast(backend, op, argument, view, (long)rows * cols);
    }

    public static void NotNegative(string op, string argument, int value)
    {
        if (value < 0) Throw($"{op} got {argument} = {value}; sizes must not be negative.");
    }

    public static void Ratio(string op, string argument, float ratio)
    {
        if (!(ratio >= 0f && ratio < 1f)) Throw($"{op} got {argument} = {ratio}; it must lie in [0, 1).");
    }

    public static void Defined<TEnum>(string op, string argument, TEnum value) where TEnum : struct, Enum
    {
        if (!Enum.IsDefined(value)) Throw($"{op} got {argument} = {value}, which is not one of the {typeof(TEnum).Name} values.");
    }

    public static void Geometry(string op, ConvolutionGeometry g)
    {
        if (g.Batch < 1 || g.Channels < 1 || g.Filters < 1 || g.KernelH < 1 || g.KernelW < 1 || g.Stride < 1 || g.Pad < 0 ||
            g.Height + 2 * g.Pad < g.KernelH || g.Width + 2 * g.Pad < g.KernelW)
        {
            Throw($"{op} got the geometry {g}, which has no output (every size must be at least 1, the pad not negative, the kernel within the padded input).");
        }
    }

    public static void Geometry(string op, PoolingGeometry g)
    {
        if (g.Batch < 1 || g.Channels < 1 || g.Size < 1 || g.Stride < 1 || g.Pad < 0 || g.Pad >= g.Size ||
            g.Height + 2 * g.Pad < g.Size || g.Width + 2 * g.Pad < g.Size)
        {
            Throw($"{op} got the geometry {g}, which has no output or a window of padding only (every size must be at least 1, the pad in [0, size), the window within the padded input).");
        }
    }

    public static void Geometry(string op, NormalizationGeometry g)
    {
        if (g.Batch < 1 || g.Channels < 1 || g.Spatial < 1) Throw($"{op} got the geometry {g}; every size must be at least 1.");
    }

    [DoesNotReturn]
    private static void ThrowForeign(Backend backend, string op, string argument, Backend owner) =>
        Throw($"{op} got {argument} from {owner}; only buffers of {backend} can be passed to it.");

    [DoesNotReturn]
    private static void ThrowNotSame(string op, string argument, int length, string other, int otherLength) =>
        Throw($"{op} needs {argument} as long as {other} ({otherLength} elements); it holds {length}.");

    [DoesNotReturn]
    private static void ThrowShort(string op, string argument, int length, long needed) =>
        Throw($"{op} needs {argument} to hold at least {needed} elements; it holds {length}.");

    [DoesNotReturn]
    private static void Throw(string message) => throw new ArgumentException(message);
}
