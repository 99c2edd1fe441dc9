namespace DeepGpu.Backends;

/// <summary>
/// A 2-D convolution over an NCHW batch: input [N, C, H, W], filters [F, C, KH, KW] (cross-correlation,
/// as the book's im2col), bias [F], output [N, F, OutH, OutW].
/// </summary>
public readonly record struct ConvolutionGeometry(
    int Batch, int Channels, int Height, int Width, int Filters, int KernelH, int KernelW, int Stride, int Pad)
{
    public int OutH => (Height + 2 * Pad - KernelH) / Stride + 1;
    public int OutW => (Width + 2 * Pad - KernelW) / Stride + 1;
    /// <summary>Length of one im2col column: C·KH·KW, the inner dimension of the convolution's GEMM.</summary>
    public int PatchLength => Channels * KernelH * KernelW;
    public int InputLength => Batch * Channels * Height * Width;
    public int OutputLength => Batch * Filters * OutH * OutW;
    public int WeightLength => Filters * PatchLength;
}

/// <summary>
/// Pooling over an NCHW batch: input [N, C, H, W], output [N, C, OutH, OutW]. Padded cells never win a max;
/// an average divides by the full window (padding counts as zero, as with the book's im2col).
/// </summary>
public readonly record struct PoolingGeometry(int Batch, int Channels, int Height, int Width, int Size, int Stride, int Pad)
{
    public int OutH => (Height + 2 * Pad - Size) / Stride + 1;
    public int OutW => (Width + 2 * Pad - Size) / Stride + 1;
    public int InputLength => Batch * Channels * Height * Width;
    public int OutputLength => Batch * Channels * OutH * OutW;
}

/// <summary>Max or average pooling.</summary>
public enum PoolingMode
{
    Max,
    Average,
}

/// <summary>
/// Batch normalisation over x viewed as [Batch, Channels, Spatial]: statistics per channel over Batch·Spatial
/// values (Spatial = 1 for 2-D input, where a channel is a feature).
/// </summary>
public readonly record struct NormalizationGeometry(int Batch, int Channels, int Spatial)
{
    public int Length => Batch * Channels * Spatial;
}

/// <summary>An affine layer over a batch: X [Rows, Inputs] times W [Inputs, Outputs] plus B [Outputs] gives Y [Rows, Outputs].</summary>
public readonly record struct AffineGeometry(int Rows, int Inputs, int Outputs);
