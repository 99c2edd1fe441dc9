namespace DeepGpu.Tensors;

/// <summary>
/// The shape of one sample (the batch dimension is not part of it): <c>[784]</c> for a flat vector,
/// <c>[C, H, W]</c> for an image in NCHW layout. Immutable, compared by value.
/// </summary>
public readonly struct Shape : IEquatable<Shape>
{
    private readonly int[]? _dims;

    public Shape(params int[] dims)
    {
        ArgumentNullException.ThrowIfNull(dims);
        foreach (var d in dims)
        {
            if (d <= 0) throw new ArgumentOutOfRangeException(nameof(dims), $"Every dimension must be positive, got [{string.Join(", ", dims)}].");
        }
        _dims = (int[])dims.Clone();
    }

    public int Rank => _dims?.Length ?? 0;
    public int this[int axis] => _dims![axis];
    public ReadOnlySpan<int> Dims => _dims;

    /// <summary>Number of elements in one sample.</summary>
    public int Size
    {
        get
        {
            if (_dims is null) return 0;
            var size = 1;
            foreach (var d in _dims) size *= d;
            return size;
        }
    }

    /// <summary>Channels, height and width of an image shape; throws when the rank is not 3.</summary>
    public (int C, int H, int W) AsImage() =>
        Rank == 3 ? (_dims![0], _dims[1], _dims[2]) : throw new InvalidOperationException($"Shape {this} is not an image shape [C, H, W].");

    public int[] ToArray() => _dims is null ? [] : (int[])_dims.Clone();

    public bool Equals(Shape other) => Dims.SequenceEqual(other.Dims);
    public override bool Equals(object? obj) => obj is Shape s && Equals(s);
    public override int GetHashCode()
    {
        var h = new HashCode();
        foreach (var d in Dims) h.Add(d);
        return h.ToHashCode();
    }
    public static bool operator ==(Shape a, Shape b) => a.Equals(b);
    public static bool operator !=(Shape a, Shape b) => !a.Equals(b);
    public override string ToString() => "[" + string.Join("x", _dims ?? []) + "]";
}
