using System.Buffers.Binary;
using System.Text;

namespace DeepGpu.Models.Onnx;

/// <summary>
/// The few protobuf encodings an ONNX file needs: varints, fixed32 floats and length-delimited strings, bytes
/// and nested messages. Nested messages are built in their own writer first, as their length comes before them.
/// </summary>
internal sealed class ProtoWriter
{
    private const int Varint = 0;
    private const int LengthDelimited = 2;
    private const int Fixed32 = 5;

    private readonly MemoryStream _stream = new();

    public long Length => _stream.Length;

    public byte[] ToArray() => _stream.ToArray();

    public void WriteTo(Stream destination)
    {
        _stream.Position = 0;
        _stream.CopyTo(destination);
    }

    /// <summary>An int64, int32 or enum field; negative values take ten bytes, as protobuf encodes them.</summary>
    public ProtoWriter Int(int field, long value)
    {
        Tag(field, Varint);
        RawVarint((ulong)value);
        return this;
    }

    public ProtoWriter Float(int field, float value)
    {
        Tag(field, Fixed32);
        Span<byte> bytes = stackalloc byte[4];
        BinaryPrimitives.WriteSingleLittleEndian(bytes, value);
        _stream.Write(bytes);
        return this;
    }

    public ProtoWriter String(int field, string value) => Bytes(field, Encoding.UTF8.GetBytes(value));

    public ProtoWriter Bytes(int field, ReadOnlySpan<byte> value)
    {
        Tag(field, LengthDelimited);
        RawVarint((ulong)value.Length);
        _stream.Write(value);
        return this;
    }

    /// <summary>A nested message, filled in by <paramref name="build"/>.</summary>
    public ProtoWriter Message(int field, Action<ProtoWriter> build)
    {
        var inner = new ProtoWriter();
        build(inner);
        Tag(field, LengthDelimited);
        RawVarint((ulong)inner.Length);
        inner.WriteTo(_stream);
        return this;
    }

    private void Tag(int field, int wireType) => RawVarint(((ulong)field << 3) | (uint)wireType);

    private void RawVarint(ulong value)
    {
        while (value >= 0x80)
        {
            _stream.WriteByte((byte)(value | 0x80));
            value >>= 7;
        }
        _stream.WriteByte((byte)value);
    }
}
