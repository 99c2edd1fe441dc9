// Augment: a random affine distortion per image, sampled backwards (each output pixel looks up its source).
// The transform of image n comes from the 64 bits CounterRng.Next(seed, counter·N + n), cut into four
// 16-bit uniforms u0..u3 in [0, 1): shift x = (2u0 − 1)·MaxShift, shift y = (2u1 − 1)·MaxShift,
// angle = (2u2 − 1)·MaxRotationDegrees, scale = 1 + (2u3 − 1)·MaxScale. The image is scaled and rotated about
// its centre ((W − 1)/2, (H − 1)/2), then shifted; every channel gets the same transform; bilinear sampling,
// zero outside the image.
using DeepGpu.Kernels;

namespace DeepGpu.Backends.Cpu;

public sealed partial class CpuBackend
{
    void IImageAugmentation.AugmentCore(BufferView<float> x, BufferView<float> y, int batch, int channels, int height, int width,
        AugmentOptions options, ulong seed, StepCounter counter)
    {
        var length = (long)batch * channels * height * width;
        var chunks = Math.Min(Pool.Chunks(length, 1 << 14), Math.Max(1, batch));
        Pool.For(chunks, new AugmentJob(x, y, batch, channels, height, width, options, seed, Resolve(counter), chunks));
    }

    /// <summary>The transform of one image: source = inverse(output), as (shift x, shift y, angle in radians, scale).</summary>
    internal static (float ShiftX, float ShiftY, float Angle, float Scale) AugmentTransform(AugmentOptions o, ulong seed, ulong counter)
    {
        var bits = CounterRng.Next(seed, counter);
        float U(int k) => ((bits >> (16 * k)) & 0xFFFF) * (1f / 65536f);
        return ((2f * U(0) - 1f) * o.MaxShift, (2f * U(1) - 1f) * o.MaxShift,
            (2f * U(2) - 1f) * o.MaxRotationDegrees * (MathF.PI / 180f), 1f + (2f * U(3) - 1f) * o.MaxScale);
    }

    private readonly struct AugmentJob(BufferView<float> x, BufferView<float> y, int batch, int channels, int height, int width,
        AugmentOptions options, ulong seed, ulong counter, int chunks) : WorkerPool.IWork
    {
        public void Run(int index, int worker)
        {
            var (first, last) = WorkerPool.Chunk(index, chunks, batch);
            var plane = height * width;
            var xs = x.Span();
            var ys = y.Span();
            float cx = (width - 1) * 0.5f, cy = (height - 1) * 0.5f;
            for (var n = first; n < last; n++)
            {
                var (tx, ty, angle, scale) = AugmentTransform(options, seed, counter * (ulong)batch + (ulong)n);
                // Inverse map: source = R(−angle)·(out − centre − shift)/scale + centre.
                var cos = MathF.Cos(angle) / scale;
                var sin = MathF.Sin(angle) / scale;
                for (var oy = 0; oy < height; oy++)
                {
                    for (var ox = 0; ox < width; ox++)
                    {
                        float dx = ox - cx - tx, dy = oy - cy - ty;
                        var sx = cos * dx + sin * dy + cx;
                        var sy = -sin * dx + cos * dy + cy;
                        var x0 = (int)MathF.Floor(sx);
                        var y0 = (int)MathF.Floor(sy);
                        float fx = sx - x0, fy = sy - y0;
                        for (var c = 0; c < channels; c++)
                        {
                            var src = xs.Slice((n * channels + c) * plane, plane);
                            var v = (1f - fy) * ((1f - fx) * Pixel(src, x0, y0) + fx * Pixel(src, x0 + 1, y0))
                                + fy * ((1f - fx) * Pixel(src, x0, y0 + 1) + fx * Pixel(src, x0 + 1, y0 + 1));
                            ys[(n * channels + c) * plane + oy * width + ox] = v;
                        }
                    }
                }
            }
        }

        private float Pixel(ReadOnlySpan<float> src, int px, int py) =>
            (uint)px < (uint)width && (uint)py < (uint)height ? src[py * width + px] : 0f;
    }
}
