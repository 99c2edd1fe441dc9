// Data kernels.
//   GatherBatch (one thread per output value, extent count·sampleLength): s = order[start + i];
//     x[i, j] = images[s·L + j]·scale; the thread with j = 0 also writes y[i] = labels[s]. With FromRecord set, start
//     is the step record's NextStart and thread 0 publishes the record's next values (StepRecord.cs).
//   Augment (one thread per output pixel, extent N·C·H·W): image n gets a transform from
//     z = CounterRng.Next(seed, counter·N + n), split into four 16-bit uniforms u_k = ((z >> 16k) & 0xFFFF)/65536:
//     shift (tx, ty) = ((2u0 − 1), (2u1 − 1))·MaxShift pixels, angle θ = (2u2 − 1)·MaxRotation degrees,
//     scale s = 1 + (2u3 − 1)·MaxScale. Output pixel (x, y) samples the input at
//     R(−θ)·((x, y) − centre − (tx, ty)) / s + centre, centre = ((W − 1)/2, (H − 1)/2), bilinearly with
//     zero outside the image; all channels of an image share the transform. With all ranges 0 it is the identity.
//     counter = Counter + CounterPerStep·record[Step] (a zero placeholder record when CounterPerStep is 0).
using ILGPU;

namespace DeepGpu.Kernels;

/// <summary>Batch layout of GatherBatch.</summary>
public struct GatherArgs
{
    public int Start, SampleLength;
    public float Scale;
    /// <summary>1: the batch starts at the step record's NextStart (Start is unused) and thread 0 publishes the record.</summary>
    public int FromRecord;
}

/// <summary>Image layout, ranges and random stream of Augment.</summary>
public struct AugmentArgs
{
    public int Batch, Channels, Height, Width;
    public float MaxShift, MaxRotationDegrees, MaxScale;
    public ulong Seed, Counter, CounterPerStep;
}

public static class DataKernels
{
    public static void GatherBatch(Index1D index, GatherArgs a, ArrayView<byte> images, ArrayView<byte> labels, ArrayView<int> order,
        ArrayView<float> x, ArrayView<int> y, ArrayView<long> record)
    {
        int k = index;
        var i = k / a.SampleLength;
        var j = k - i * a.SampleLength;
        var start = a.FromRecord != 0 ? (int)record[StepRecordKernels.NextStart] : a.Start;
        if (a.FromRecord != 0 && k == 0) StepRecordKernels.Publish(record);
        var s = order[start + i];
        x[k] = images[(long)s * a.SampleLength + j] * a.Scale;
        if (j == 0) y[i] = labels[s];
    }

    /// <summary>The k-th 16-bit uniform in [0, 1) of a 64-bit draw.</summary>
    /// <remarks>Through int: an unsigned 64-bit to float conversion is a double in IL, which OpenCL without fp64 rejects.</remarks>
    public static float Part(ulong z, int k) => (int)((z >> (16 * k)) & 0xFFFFUL) * (1f / 65536f);

    public static void Augment(Index1D index, AugmentArgs a, ArrayView<float> x, ArrayView<float> y, ArrayView<long> record)
    {
        int k = index;
        var plane = a.Height * a.Width;
        var n = k / (a.Channels * plane);
        var rest = k - n * a.Channels * plane;
        var c = rest / plane;
        var pix = rest - c * plane;
        var py = pix / a.Width;
        var px = pix - py * a.Width;
        var counter = a.Counter + a.CounterPerStep * (ulong)record[StepRecordKernels.Step];
        var z = CounterRng.Next(a.Seed, counter * (ulong)a.Batch + (ulong)n);
        var tx = (2f * Part(z, 0) - 1f) * a.MaxShift;
        var ty = (2f * Part(z, 1) - 1f) * a.MaxShift;
        var theta = (2f * Part(z, 2) - 1f) * a.MaxRotationDegrees * (MathF.PI / 180f);
        var scale = 1f + (2f * Part(z, 3) - 1f) * a.MaxScale;
        var cx = (a.Width - 1) * 0.5f;
        var cy = (a.Height - 1) * 0.5f;
        var dx = px - cx - tx;
        var dy = py - cy - ty;
        var cos = MathF.Cos(theta);
        var sin = MathF.Sin(theta);
        var inv = 1f / scale;
        var sx = (cos * dx + sin * dy) * inv + cx;
        var sy = (-sin * dx + cos * dy) * inv + cy;
        var x0 = (int)MathF.Floor(sx);
        var y0 = (int)MathF.Floor(sy);
        var fx = sx - x0;
        var fy = sy - y0;
        var baseIndex = (n * a.Channels + c) * plane;
        var v00 = Sample(x, baseIndex, a.Height, a.Width, y0, x0);
        var v01 = Sample(x, baseIndex, a.Height, a.Width, y0, x0 + 1);
        var v10 = Sample(x, baseIndex, a.Height, a.Width, y0 + 1, x0);
        var v11 = Sample(x, baseIndex, a.Height, a.Width, y0 + 1, x0 + 1);
        y[k] = (1f - fy) * ((1f - fx) * v00 + fx * v01) + fy * ((1f - fx) * v10 + fx * v11);
    }

    private static float Sample(ArrayView<float> x, int baseIndex, int height, int width, int row, int col) =>
        row >= 0 && row < height && col >= 0 && col < width ? x[baseIndex + row * width + col] : 0f;
}
