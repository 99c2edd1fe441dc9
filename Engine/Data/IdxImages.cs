namespace DeepGpu.Data;

/// <summary>The contents of an IDX image file: <see cref="Count"/> images of <see cref="Rows"/> x <see cref="Columns"/> unsigned bytes, row-major.</summary>
public sealed class IdxImages
{
    internal IdxImages(byte[] pixels, int count, int rows, int columns, string name)
    {
        Pixels = pixels;
        Count = count;
        Rows = rows;
        Columns = columns;
        Name = name;
    }

    /// <summary>All pixels, image after image (length <c>Count * Rows * Columns</c>).</summary>
    public byte[] Pixels { get; }
    public int Count { get; }
    public int Rows { get; }
    public int Columns { get; }

    /// <summary>The file name or display name it was read from, for messages.</summary>
    public string Name { get; }
}
